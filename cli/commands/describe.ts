import { effectiveThreshold } from '../../engine/analysis/thresholds.js';
import { isComparativeMetric, parseCompareSettings } from '../../engine/analysis/compare-settings.js';
import type { Canary, CanaryMetric, KubeEvent } from '../../engine/resources/index.js';
import { kindFromUserName } from '../../controlplane/api/kube-paths.js';
import { ApiClient } from '../api-client.js';
import { failureReason } from '../canary-failure.js';
import { resolveApiUrl } from '../instance-file.js';
import { ageOf } from '../output/age.js';
import { byEventTime, eventTime } from '../output/columns/event.js';
import { strategyLabel } from '../output/columns/canary.js';
import { formatTable } from '../table.js';

/** `Key:   value` lines, values aligned */
function fields(pairs: Array<[string, string | undefined]>, indent = ''): string[] {
  const shown = pairs.filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '');
  const width = Math.max(...shown.map(([k]) => k.length + 1), 0);
  return shown.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}  ${v}`);
}

function indentTable(rows: string[][], indent = '  '): string[] {
  return formatTable(rows)
    .split('\n')
    .map((l) => indent + l);
}

function thresholdText(m: CanaryMetric): string {
  if (isComparativeMetric(m.name)) {
    const c = parseCompareSettings(m.name, m.query);
    return `not worse than primary (effect ${c.effect}, alpha ${c.alpha}, min ${c.min})`;
  }
  const { min, max } = effectiveThreshold(m);
  const unit = m.name === 'request-success-rate' ? '%' : m.name === 'request-duration' ? 'ms' : '';
  const parts = [min !== undefined ? `>= ${min}${unit}` : '', max !== undefined ? `<= ${max}${unit}` : ''];
  return parts.filter(Boolean).join(' and ') || 'no threshold';
}

function analysisText(c: Canary): string {
  const a = c.spec.analysis;
  if (!a) return '';
  const steps =
    a.iterations !== undefined
      ? `iterations ${a.iterations}`
      : a.stepWeights
        ? `stepWeights ${a.stepWeights.join(',')}`
        : `stepWeight ${a.stepWeight ?? ''}, maxWeight ${a.maxWeight ?? 50}`;
  const extra = [
    a.mirror ? `mirror${a.mirrorWeight !== undefined ? ` ${a.mirrorWeight}%` : ''}` : '',
    a.stepWeightPromotion !== undefined ? `stepWeightPromotion ${a.stepWeightPromotion}` : '',
    a.match?.length ? `${a.match.length} match rule(s)` : '',
  ].filter(Boolean);
  return [`interval ${a.interval}`, `threshold ${a.threshold}`, steps, ...extra].join(', ');
}

/** the Canary as `weir describe canary` prints it */
export function describeCanary(c: Canary, events: KubeEvent[], now = Date.now()): string {
  const a = c.spec.analysis;
  const s = c.status;
  const svc = c.spec.service;
  const out: string[] = fields([
    ['Name', c.metadata.name],
    ['Namespace', c.metadata.namespace],
    [
      'Labels',
      Object.entries(c.metadata.labels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>',
    ],
    ['Strategy', strategyLabel(c)],
    ['Target', `${c.spec.targetRef.kind}/${c.spec.targetRef.name} (primary ${c.spec.targetRef.name}-primary)`],
    [
      'Service',
      `${svc.name ?? c.spec.targetRef.name} port ${svc.port}${svc.targetPort !== undefined ? ` -> ${String(svc.targetPort)}` : ''}`,
    ],
    ['Analysis', analysisText(c)],
    ['Progress Deadline', `${c.spec.progressDeadlineSeconds}s`],
    ['Suspended', c.spec.suspend ? 'true' : undefined],
    ['Skip Analysis', c.spec.skipAnalysis ? 'true' : undefined],
  ]);
  const metrics = a?.metrics ?? [];
  out.push('Metrics:');
  if (metrics.length === 0) out.push('  <none>');
  else
    out.push(
      ...indentTable([
        ['NAME', 'THRESHOLD', 'INTERVAL', 'SOURCE'],
        ...metrics.map((m) => [
          m.name,
          thresholdText(m),
          m.interval,
          m.templateRef
            ? `template ${m.templateRef.name}`
            : isComparativeMetric(m.name)
              ? 'mesh (canary vs primary)'
              : m.query
                ? 'query'
                : 'mesh',
        ]),
      ]),
    );
  const hooks = a?.webhooks ?? [];
  out.push('Webhooks:');
  if (hooks.length === 0) out.push('  <none>');
  else out.push(...indentTable([['NAME', 'TYPE', 'URL'], ...hooks.map((h) => [h.name, h.type, h.url])]));

  out.push('Status:');
  out.push(
    ...fields(
      [
        ['Phase', s?.phase ?? '<none>'],
        ['Canary Weight', String(s?.canaryWeight ?? 0)],
        ['Failed Checks', `${s?.failedChecks ?? 0}/${a?.threshold ?? 0}`],
        ['Iterations', a?.iterations !== undefined ? `${s?.iterations ?? 0}/${a.iterations}` : undefined],
        ['Last Transition Time', s?.lastTransitionTime],
        ['Last Applied Spec', s?.lastAppliedSpec],
        ['Last Promoted Spec', s?.lastPromotedSpec],
      ],
      '  ',
    ),
  );
  const conditions = s?.conditions ?? [];
  out.push('Conditions:');
  if (conditions.length === 0) out.push('  <none>');
  else
    out.push(
      ...indentTable([
        ['TYPE', 'STATUS', 'REASON', 'MESSAGE'],
        ...conditions.map((cd) => [cd.type, cd.status, cd.reason ?? '', cd.message ?? '']),
      ]),
    );
  const reason = failureReason(c, events);
  if (reason !== undefined) out.push(`Failure: ${reason}`);
  out.push('Events:');
  if (events.length === 0) out.push('  <none>');
  else
    out.push(
      ...indentTable([
        ['Type', 'Reason', 'Age', 'From', 'Message'],
        ...events.map((e) => {
          const count = e.count ?? 1;
          const first = e.firstTimestamp;
          const age =
            count > 1 && first
              ? `${ageOf(eventTime(e), now)} (x${count} over ${ageOf(first, now)})`
              : ageOf(eventTime(e), now);
          return [e.type, e.reason, age, e.source?.component ?? '', e.message];
        }),
      ]),
    );
  return out.join('\n');
}

/** `weir describe canary NAME [-n NS]` */
export async function describeCommand(
  kindName: string,
  name: string,
  opts: { namespace?: string; api?: string },
): Promise<number> {
  const info = kindFromUserName(kindName);
  if (info?.kind !== 'Canary') {
    console.error(
      `error: weir describe supports canaries only (got "${kindName}"); use weir get ${kindName} ${name} -o yaml`,
    );
    return 2;
  }
  const ns = opts.namespace ?? 'default';
  const client = new ApiClient(await resolveApiUrl(opts.api));
  const canary = (await client.get('Canary', ns, name)) as Canary | undefined;
  if (!canary) {
    console.error(`Error from server (NotFound): canaries.flagger.app "${name}" not found`);
    return 1;
  }
  const events = (
    (await client.list('Event', ns, {
      fieldSelector: `involvedObject.kind=Canary,involvedObject.name=${name}`,
    })) as KubeEvent[]
  ).sort(byEventTime);
  console.log(describeCanary(canary, events));
  return 0;
}
