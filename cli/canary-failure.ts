import type { Canary, KubeEvent } from '../engine/resources/index.js';

const HALT = /^Halt \S+ advancement (.*)$/;
const HALT_NO_NAME = /^Halt advancement (.*)$/;
const ROLLBACK = /^Rolling back \S+ (.*)$/;
const WEIGHT = /^Advance \S+ canary weight (\d+)$/;
const ITERATION = /^Advance \S+ canary iteration (\d+\/\d+)$/;
const THRESHOLD = /^failed checks threshold reached (\d+)$/;
/** the events that end a run: what comes after them belongs to the next one */
const RUN_ENDED = /^(Promotion completed!|Canary failed!|Initialization done!)/;

/** a Halt message's check, named as the metric is named in the spec */
function checkOf(halt: string): string {
  return halt
    .replace(/^success rate /, 'request-success-rate ')
    .replace(/^request duration /, 'request-duration ')
    .replace(/: no values found$/, '');
}

/**
 * Why a Failed run failed, in one line, from the Canary's Events (oldest first) and its spec: the last
 * check that halted the analysis, where the run was, and the failed checks over the threshold, e.g.
 * `request-success-rate 41.67% < 99% at weight 10, 3/3 failed checks`. Other rollbacks name their cause
 * (`aborted manually at weight 20`). Undefined when the Canary is not Failed.
 */
export function failureReason(canary: Canary, events: readonly KubeEvent[]): string | undefined {
  if (canary.status?.phase !== 'Failed') return undefined;
  const messages = events.map((e) => e.message);
  // the last run: after the event that ended the run before it, up to its rollback
  let rollbackAt = -1;
  messages.forEach((m, i) => {
    if (ROLLBACK.test(m)) rollbackAt = i;
  });
  const end = rollbackAt < 0 ? messages.length : rollbackAt;
  let start = 0;
  messages.slice(0, end).forEach((m, i) => {
    if (RUN_ENDED.test(m)) start = i + 1;
  });
  const before = messages.slice(start, end);
  let where: string | undefined;
  let halt: string | undefined;
  for (const m of before) {
    const w = WEIGHT.exec(m) ?? ITERATION.exec(m);
    if (w) where = WEIGHT.test(m) ? `at weight ${w[1]}` : `at iteration ${w[1]}`;
    const h = HALT.exec(m) ?? HALT_NO_NAME.exec(m);
    if (h && !/^waiting for/.test(h[1]!)) halt = checkOf(h[1]!);
  }
  const cause = rollbackAt < 0 ? undefined : ROLLBACK.exec(messages[rollbackAt]!)![1]!;
  const reached = cause ? THRESHOLD.exec(cause) : null;
  const parts: string[] = [];
  if (reached) {
    const threshold = canary.spec.analysis?.threshold ?? Number(reached[1]);
    parts.push([halt ?? 'failed checks', where].filter(Boolean).join(' '), `${reached[1]}/${threshold} failed checks`);
  } else if (cause) {
    parts.push([cause, where].filter(Boolean).join(' '));
  } else {
    const cond =
      canary.status.conditions?.find((c) => c.type === 'Analysis') ??
      canary.status.conditions?.find((c) => c.type === 'Promoted');
    parts.push(cond?.message ?? 'the analysis failed (no events about it are left)');
  }
  return parts.join(', ');
}
