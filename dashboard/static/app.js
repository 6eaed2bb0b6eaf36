// Weir's dashboard: a page per route (#/, #/canary/NS/NAME, #/mesh), each polling the JSON API every second.
'use strict';

const POLL_MS = 1000;
const view = document.getElementById('view');
const statusLine = document.getElementById('status');

const esc = (v) =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );
const pct = (v) => (v === undefined || v === null ? '-' : `${v.toFixed(1)}%`);
const ms = (v) => (v === undefined || v === null ? '-' : `${Math.round(v)}ms`);
const rps = (v) => (v === undefined || v === null ? '-' : v.toFixed(1));
const phase = (p) => `<span class="phase ${esc(p)}" data-testid="phase">${esc(p)}</span>`;
const bar = (canaryWeight) =>
  `<span class="bar" title="primary ${100 - canaryWeight}% / canary ${canaryWeight}%">` +
  `<span class="canary" style="width:${Math.max(0, Math.min(100, canaryWeight))}%"></span></span>`;

async function getJson(path) {
  // bounded: a request that hangs must not stop the page's updates
  const res = await fetch(path, { cache: 'no-store', signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

/** one page: `start` renders it, `refresh` is called every POLL_MS until the route changes */
let current = { stop() {} };

function route() {
  current.stop();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'canary' && parts.length === 3) current = canaryPage(parts[1], parts[2]);
  else if (parts[0] === 'mesh') current = poller(renderMesh);
  else current = poller(renderList);
}

function poller(refresh) {
  let stopped = false;
  let timer;
  const tick = async () => {
    try {
      await refresh();
      statusLine.textContent = `live · updated ${new Date().toLocaleTimeString()}`;
    } catch (err) {
      statusLine.textContent = `disconnected: ${err.message}`;
    }
    if (!stopped) timer = setTimeout(tick, POLL_MS);
  };
  tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function renderList() {
  const { items } = await getJson('/api/canaries');
  const rows = items
    .map(
      (c) => `<tr data-testid="canary-row">
        <td><a href="#/canary/${encodeURIComponent(c.namespace)}/${encodeURIComponent(c.name)}">${esc(c.name)}</a>
          <span class="muted">${esc(c.namespace)}</span></td>
        <td>${esc(c.strategy)}</td>
        <td>${phase(c.phase)}${c.suspended ? ' <span class="muted">paused</span>' : ''}</td>
        <td>${bar(c.canaryWeight)}<span data-testid="canary-weight">${c.canaryWeight}</span>%</td>
        <td>${c.failedChecks}/${c.threshold ?? '-'}</td>
        <td>${pct(c.primary.successRate)} / ${pct(c.canary.successRate)}</td>
        <td>${ms(c.primary.p99)} / ${ms(c.canary.p99)}</td>
        <td>${rps(c.primary.rps)} / ${rps(c.canary.rps)}</td>
      </tr>`,
    )
    .join('');
  view.innerHTML = `<h1>Canaries</h1>
    ${
      items.length === 0
        ? '<p class="empty">No Canary yet: apply one to the folder weir up watches.</p>'
        : `<table><thead><tr><th>Canary</th><th>Strategy</th><th>Phase</th><th>Weight</th><th>Failed checks</th>
          <th>Success rate (primary / canary)</th><th>p99</th><th>RPS</th></tr></thead><tbody>${rows}</tbody></table>`
    }`;
}

async function renderMesh() {
  const m = await getJson('/api/mesh');
  const workloads = m.workloads
    .map(
      (w) => `<tr data-testid="workload-row">
        <td>${esc(w.namespace)}/${esc(w.deployment)}</td><td>${esc(w.services.join(', ') || '-')}</td>
        <td>${w.meshed}/${w.pods}</td><td>${pct(w.successRate)}</td><td>${rps(w.rps)}</td>
        <td>${ms(w.p50)}</td><td>${ms(w.p99)}</td></tr>`,
    )
    .join('');
  const edges = m.edges
    .map(
      (e) => `<tr data-testid="edge-row">
        <td>${esc(e.namespace)}/${esc(e.deployment)}</td>
        <td>${esc(e.dstNamespace)}/${esc(e.dstService)}${e.dstDeployment ? ` <span class="muted">(${esc(e.dstDeployment)})</span>` : ''}</td>
        <td>${pct(e.successRate)}</td><td>${rps(e.rps)}</td><td>${ms(e.p50)}</td><td>${ms(e.p99)}</td></tr>`,
    )
    .join('');
  view.innerHTML = `<h1>Mesh</h1>
    <p class="muted">From each pod's sidecar <code>/metrics</code>, over the last ${m.windowMs / 1000} s.</p>
    <h2>Workloads</h2>
    <table><thead><tr><th>Deployment</th><th>Services</th><th>Meshed</th><th>Success rate</th><th>RPS</th>
      <th>p50</th><th>p99</th></tr></thead><tbody>${workloads || '<tr><td colspan="7" class="empty">no Deployments</td></tr>'}</tbody></table>
    <h2>Edges</h2>
    <table><thead><tr><th>From</th><th>To</th><th>Success rate</th><th>RPS</th><th>p50</th><th>p99</th></tr></thead>
      <tbody>${edges || '<tr><td colspan="6" class="empty">no calls between meshed pods in the window</td></tr>'}</tbody></table>`;
}

function chart(el, title, unit, series, range) {
  const opts = {
    title,
    width: Math.max(340, el.clientWidth - 12),
    height: 200,
    scales: { x: { time: true }, y: range ? { range: () => range } : {} },
    axes: [{}, { values: (_u, ticks) => ticks.map((t) => `${t}${unit}`), size: 60 }],
    series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: false }))],
  };
  return new uPlot(opts, [[], ...series.map(() => [])], el);
}

function canaryPage(ns, name) {
  const path = `/api/canaries/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`;
  const points = [];
  view.innerHTML = `<p><a href="#/">← Canaries</a></p>
    <h1>${esc(name)} <span class="muted">${esc(ns)}</span> <span id="phase"></span></h1>
    <div id="failure"></div>
    <div class="cards" id="cards"></div>
    <div class="actions">
      <button data-action="promote">Promote</button>
      <button data-action="abort" class="danger">Abort</button>
      <button data-action="pause">Pause</button>
      <button data-action="resume">Resume</button>
      <span class="note" id="action-note" data-testid="action-note"></span>
    </div>
    <h2>Traffic and health</h2>
    <div class="charts">
      <div class="chart" id="chart-weight"></div>
      <div class="chart" id="chart-sr"></div>
      <div class="chart" id="chart-p99"></div>
    </div>
    <h2>Mirror differences</h2>
    <div id="mirror-diffs"></div>
    <h2>Events</h2>
    <div id="events"></div>`;
  const colours = [
    { label: 'primary', color: '#3867d6' },
    { label: 'canary', color: '#f39c12' },
  ];
  const charts = {
    weight: chart(document.getElementById('chart-weight'), 'Weight', '%', colours, [0, 100]),
    sr: chart(document.getElementById('chart-sr'), 'Success rate', '%', colours, [0, 100]),
    p99: chart(document.getElementById('chart-p99'), 'Latency p99', 'ms', colours),
  };
  const nul = (v) => (v === undefined ? null : v);
  const draw = () => {
    const t = points.map((p) => p.t / 1000);
    charts.weight.setData([t, points.map((p) => p.primaryWeight), points.map((p) => p.canaryWeight)]);
    charts.sr.setData([t, points.map((p) => nul(p.primary.successRate)), points.map((p) => nul(p.canary.successRate))]);
    charts.p99.setData([t, points.map((p) => nul(p.primary.p99)), points.map((p) => nul(p.canary.p99))]);
  };

  let canary;
  for (const b of view.querySelectorAll('[data-action]')) {
    b.addEventListener('click', () => act(ns, name, b.dataset.action, canary));
  }

  const p = poller(async () => {
    const since = points.length ? points[points.length - 1].t : 0;
    const [d, diffs] = await Promise.all([getJson(`${path}?since=${since}`), getJson(`${path}/mirror-diffs`)]);
    renderMirrorDiffs(diffs);
    canary = d.canary;
    points.push(...d.points);
    draw();
    const c = d.canary;
    document.getElementById('phase').innerHTML =
      phase(c.phase) + (c.suspended ? ' <span class="muted">paused</span>' : '');
    document.getElementById('failure').innerHTML = d.failureReason
      ? `<div class="failure" data-testid="failure-reason">Failure: ${esc(d.failureReason)}</div>`
      : '';
    document.getElementById('cards').innerHTML = [
      ['Strategy', esc(c.strategy)],
      ['Canary weight', `<span data-testid="canary-weight">${c.canaryWeight}</span>%`],
      ['Failed checks', `${c.failedChecks}/${c.threshold ?? '-'}`],
      ['Success rate · primary / canary', `${pct(c.primary.successRate)} / ${pct(c.canary.successRate)}`],
      ['p99 · primary / canary', `${ms(c.primary.p99)} / ${ms(c.canary.p99)}`],
      ['RPS · primary / canary', `${rps(c.primary.rps)} / ${rps(c.canary.rps)}`],
    ]
      .map(([l, v]) => `<div class="card"><div class="label">${l}</div><div class="value">${v}</div></div>`)
      .join('');
    document.getElementById('events').innerHTML = d.events.length
      ? `<table data-testid="events"><thead><tr><th>Time</th><th>Type</th><th>Reason</th><th>Message</th></tr></thead><tbody>${d.events
          .map(
            (e) => `<tr class="${esc(e.type)}"><td>${esc(when(e))}</td>
              <td>${esc(e.type)}</td><td>${esc(e.reason)}</td>
              <td class="message">${esc(e.message)}${e.count > 1 ? ` <span class="muted">×${e.count}</span>` : ''}</td></tr>`,
          )
          .join('')}</tbody></table>`
      : '<p class="empty">No events yet.</p>';
  });
  return {
    stop() {
      p.stop();
      for (const c of Object.values(charts)) c.destroy();
    },
  };
}

/** the canary's mirrored requests: how many were compared and differed, and the last differences */
function renderMirrorDiffs(v) {
  const el = document.getElementById('mirror-diffs');
  const compared = v.totals.reduce((n, t) => n + t.compared, 0);
  const differing = v.totals.reduce((n, t) => n + t.differing, 0);
  if (compared === 0 && v.differences.length === 0) {
    el.innerHTML = '<p class="empty">No mirrored requests compared (annotation weir.io/mirror-diff).</p>';
    return;
  }
  const rows = v.differences
    .map(
      (r) => `<tr><td>${esc(clock(r.time))}</td><td>${esc(r.method)} ${esc(r.path)}</td>
        <td class="message">${r.differences
          .map((x) => `${esc(x.field)}: ${esc(x.primary)} (primary) vs ${esc(x.canary)} (canary)`)
          .join('<br>')}</td></tr>`,
    )
    .join('');
  el.innerHTML =
    `<p data-testid="mirror-diff-summary">${differing} of ${compared} compared requests differed</p>` +
    (rows
      ? `<table data-testid="mirror-diffs"><thead><tr><th>Time</th><th>Request</th><th>Differences</th></tr></thead><tbody>${rows}</tbody></table>`
      : '');
}

const clock = (t) => new Date(t).toLocaleTimeString();
const when = (e) =>
  e.count > 1 && e.firstTime !== e.time ? `${clock(e.firstTime)} – ${clock(e.time)}` : clock(e.time);

const CONFIRM = {
  promote: 'Promote {c} now? The remaining steps and gates are skipped.',
  abort: 'Abort {c}? All traffic goes back to the primary and the run is marked Failed.',
  pause: 'Pause {c}? Nothing moves until it is resumed.',
  resume: 'Resume {c}?',
};

function act(ns, name, action, canary) {
  const dialog = document.getElementById('confirm');
  const label = `${name}.${ns}`;
  document.getElementById('confirm-text').textContent =
    CONFIRM[action].replace('{c}', label) + (canary ? ` (now ${canary.phase}, weight ${canary.canaryWeight}%)` : '');
  dialog.returnValue = '';
  dialog.showModal();
  dialog.addEventListener(
    'close',
    async () => {
      if (dialog.returnValue !== 'ok') return;
      const note = document.getElementById('action-note');
      try {
        const res = await fetch(`/api/canaries/${encodeURIComponent(ns)}/${encodeURIComponent(name)}/${action}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-weir-dashboard': '1' },
          body: '{}',
        });
        const body = await res.json();
        note.textContent = res.ok ? body.message : `${action} failed: ${body.message}`;
      } catch (err) {
        note.textContent = `${action} failed: ${err.message}`;
      }
    },
    { once: true },
  );
}

window.addEventListener('hashchange', route);
route();
