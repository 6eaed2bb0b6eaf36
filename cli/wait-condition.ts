import { canaryPhases, type Canary, type CanaryPhase } from '../engine/resources/index.js';

/** what `weir wait canary --for=...` waits for */
export type WaitFor = { kind: 'promoted' } | { kind: 'failed' } | { kind: 'phase'; phase: CanaryPhase };

export type WaitVerdict = 'met' | 'opposite' | 'pending';

/** `promoted`, `failed`, `phase=Progressing`; a string is the usage error */
export function parseWaitFor(text: string | undefined): WaitFor | string {
  if (text === 'promoted' || text === 'failed') return { kind: text };
  const m = /^phase=(.+)$/.exec(text ?? '');
  if (m) {
    const phase = canaryPhases.find((p) => p.toLowerCase() === m[1]!.toLowerCase());
    if (phase) return { kind: 'phase', phase };
    return `--for=phase=P: unknown phase "${m[1]!}" (want one of ${canaryPhases.join(', ')})`;
  }
  return `--for must be promoted, failed or phase=P (got ${text === undefined ? 'nothing' : `"${text}"`})`;
}

const promotedPhases: readonly string[] = ['Succeeded', 'Initialized'];

/**
 * Where the Canary stands for the wait, given the hash of the target's current pod template: a status
 * counts only once the controller has seen that template (`status.lastAppliedSpec`), so that a wait
 * started right after an apply is not satisfied by the previous run.
 */
export function waitVerdict(canary: Canary, currentHash: string | undefined, want: WaitFor): WaitVerdict {
  const s = canary.status;
  if (!s?.phase || currentHash === undefined || s.lastAppliedSpec !== currentHash) return 'pending';
  switch (want.kind) {
    case 'promoted':
      return promotedPhases.includes(s.phase) ? 'met' : s.phase === 'Failed' ? 'opposite' : 'pending';
    case 'failed':
      return s.phase === 'Failed' ? 'met' : promotedPhases.includes(s.phase) ? 'opposite' : 'pending';
    case 'phase':
      return s.phase === want.phase ? 'met' : 'pending';
  }
}

/** one progress line: `podinfo.test Progressing weight 20 failed checks 0/3` */
export function progressLine(canary: Canary): string {
  const s = canary.status;
  const a = canary.spec.analysis;
  const iterations = a?.iterations !== undefined ? ` iteration ${s?.iterations ?? 0}/${a.iterations}` : '';
  return `${canary.metadata.name}.${canary.metadata.namespace} ${s?.phase ?? 'Pending'} weight ${s?.canaryWeight ?? 0}${iterations} failed checks ${s?.failedChecks ?? 0}/${a?.threshold ?? 0}`;
}
