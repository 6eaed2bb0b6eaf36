// How long a sidecar takes to start: from spawn to `weir proxy: ready` of `weir proxy --control-plane` as
// weir up starts one (identity, inbound in front of an app, HTTP_PROXY), next to a bare `node` in the same
// run, and the CPU time it used until then (user + system, from /proc: Linux), which load does not inflate.
// Needs `npm run build`.
//   node scripts/proxy-startup.mjs [RUNS] [OTHER_CHECKOUT]   (OTHER_CHECKOUT: a built checkout to compare, interleaved)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startMeshIdentity } from '../dist/cli/mesh-identity.js';
import { startControlPlane } from '../dist/controlplane/grpc/server.js';

const runs = Number(process.argv[2] ?? 5);
const checkouts = { this: resolve(import.meta.dirname, '..') };
if (process.argv[3]) checkouts.other = resolve(process.argv[3]);
const dir = await mkdtemp(join(tmpdir(), 'weir-proxy-startup-'));
const snapshot = { version: 1, services: [], endpoints: [], httpRoutes: [], grpcRoutes: [] };
const identity = await startMeshIdentity({ stateDir: dir });
const cp = await startControlPlane({
  configSource: { current: () => snapshot, subscribe: () => () => undefined },
  certifier: identity.certifier,
});
const anchors = join(dir, 'anchors.pem');
await writeFile(anchors, identity.trustAnchorsPem);

/** CPU ms (user + system) process `pid` has used so far */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (100 Hz)
}

/** ms from spawn until stdout matches each of `marks` (and `cpu`: CPU ms by then), then SIGTERM */
function time(args, marks) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const at = {};
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => {
      out += d;
      for (const [name, re] of Object.entries(marks))
        if (at[name] === undefined && re.test(out)) at[name] = performance.now() - t0;
      if (at.cpu === undefined && Object.keys(at).length === Object.keys(marks).length) {
        at.cpu = cpuMs(c.pid);
        c.kill('SIGTERM');
      }
    });
    c.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => c.kill('SIGKILL'), 120_000);
    c.on('exit', () => {
      clearTimeout(timer);
      if (Object.keys(marks).every((m) => at[m] !== undefined)) resolve(at);
      else reject(new Error(`no ready line:\n${out}\n${err}`));
    });
  });
}

const rows = { 'node -e (bare)': [] };
for (let i = 0; i < runs; i++) {
  const bare = await time(['-e', 'process.stdout.write("x"); setTimeout(() => {}, 60_000)'], { x: /x/ });
  rows['node -e (bare)'].push(bare.x);
  (rows['node (bare) CPU'] ??= []).push(bare.cpu);
  for (const [name, root] of Object.entries(checkouts)) {
    const token = join(dir, `t-${name}-${i}`);
    await writeFile(token, identity.tokens.issue({ namespace: 'test', serviceAccount: 'web' }));
    const at = await time(
      [
        join(root, 'bin', 'weir.js'),
        'proxy', '--control-plane', cp.address, '--namespace', 'test', '--pod', `web-${i}`, '--deployment', 'web',
        '--service-account', 'web', '--identity-token-file', token, '--trust-anchors', anchors,
        '--app-port', '1', '--outbound-proxy-port', '0',
      ], // prettier-ignore
      { first: /^weir proxy: /m, ready: /^weir proxy: ready /m },
    );
    (rows[`${name}: first line`] ??= []).push(at.first);
    (rows[`${name}: ready`] ??= []).push(at.ready);
    (rows[`${name}: CPU to ready`] ??= []).push(at.cpu);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${runs} runs, load average ${loadavg()[0].toFixed(1)}; ${JSON.stringify(checkouts)}`);
for (const [name, xs] of Object.entries(rows))
  console.log(
    `${name.padEnd(20)} median ${median(xs).toFixed(0).padStart(5)} ms  (${xs.map((x) => x.toFixed(0)).join(', ')})`,
  );
await cp.close();
await rm(dir, { recursive: true, force: true });
