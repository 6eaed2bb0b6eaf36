import type { Canary, CanaryPhase, CanaryStatus } from '../resources/index.js';
import { ANALYSIS_CONDITION } from './conditions.js';
import { warning, type CanaryEvent } from './events.js';
import { getAnalysis } from './interval.js';
import { strategyOf } from './strategy-kind.js';

/**
 * Coordinated canaries (issue 15): Canaries of one namespace that carry the same `weir.io/release` label (or
 * annotation; Flagger ignores both) are one release. Their analysis moves in lock step, and a request that
 * entered the canary of one member stays on the canaries of the others (the version lane, `laneOf`).
 *
 * This file is the pure part: which release a Canary is in, its lane, and, given what each member's tick
 * proposes, what each member may do (`coordinateRelease`). The controller ticks the members of a release
 * together, asks the scheduler (`advance`) for each member's proposal, and runs the tick again with the
 * directive this returns for the members that must hold or roll back.
 */
export const RELEASE_LABEL = 'weir.io/release';

/** the header a canary-lane pod's sidecar puts on every outbound request, and the route rules match */
export const LANE_HEADER = 'weir-lane';

/** the release a Canary belongs to: its `weir.io/release` label, else that annotation */
export function releaseOf(canary: Pick<Canary, 'metadata'>): string | undefined {
  const v = canary.metadata.labels?.[RELEASE_LABEL] ?? canary.metadata.annotations?.[RELEASE_LABEL];
  return v === undefined || v === '' ? undefined : v;
}

/** the lane of a release: the value of `weir-lane`, `<namespace>/<release>` */
export function laneValue(namespace: string, release: string): string {
  return `${namespace}/${release}`;
}

/**
 * The phases in which a member's canary runs a revision of the release: its canary pods are lane pods and
 * its route sends the lane to its canary. From the start of the analysis to the end of Finalising, so that a
 * canary of another member that still serves (promotion shifts traffic back member by member) keeps its
 * lane; Waiting (a closed confirm-rollout gate) has no canary pods yet.
 */
const lanePhases: ReadonlySet<CanaryPhase | undefined> = new Set<CanaryPhase | undefined>([
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
]);

/** the lane a member's route matches with this status, or undefined (no release, or not running one) */
export function laneOf(canary: Pick<Canary, 'metadata'>, status: CanaryStatus | undefined): string | undefined {
  const release = releaseOf(canary);
  if (release === undefined || !lanePhases.has(status?.phase)) return undefined;
  return laneValue(canary.metadata.namespace, release);
}

/**
 * The lane a member's routes keep in a tick that takes its status from `before` to `after`: the run's lane, and
 * in the tick that ends the run (the rollback, or the scale-down after promotion) still the lane it had. That tick
 * writes the members' routes one after the other and the sidecars hear of them one after the other: a request
 * that reached the frontend's canary just before its route went to 100/0 must not find the backend's lane rule
 * already gone (it would be answered by the backend's primary). The rule goes in the next tick, when no route
 * sends anything to a canary any more.
 */
export function laneOfTick(
  canary: Pick<Canary, 'metadata'>,
  before: CanaryStatus | undefined,
  after: CanaryStatus | undefined,
): string | undefined {
  return laneOf(canary, after) ?? laneOf(canary, before);
}

/** What the coordinator tells a member's tick to do instead of what it proposed. */
export type ReleaseDirective =
  /** the checks passed but the release does not move: the tick stops before its step (events: `message`) */
  | { kind: 'hold'; message: string }
  /** another member failed: roll back now, with this reason in the status and the events */
  | { kind: 'rollback'; message: string };

/** One member's tick as the scheduler proposed it (no directive). */
export interface MemberProposal {
  /** the member Canary as the tick read it (status = before the tick) */
  canary: Canary;
  /** the status the tick proposes */
  status: CanaryStatus;
  /** true when the tick took a step of the analysis (weight, iteration, promotion, traffic shift, finalise) */
  stepped: boolean;
}

export interface MemberDecision {
  /** run the tick again with this directive; undefined = apply the proposal as it is */
  directive?: ReleaseDirective;
  /** the release's own events for this member */
  events: CanaryEvent[];
}

/** phases of a run: a member in one of them takes part in the release's steps */
const runPhases: ReadonlySet<CanaryPhase | undefined> = new Set<CanaryPhase | undefined>([
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
]);

/** phases from which a release failure rolls a member back (the promotion has not started) */
const abortablePhases: ReadonlySet<CanaryPhase | undefined> = new Set<CanaryPhase | undefined>([
  'Waiting',
  'Progressing',
  'WaitingPromotion',
]);

/**
 * A member takes part when it runs a revision: it was in a run before the tick or starts one in it. A
 * member whose target did not change (Initialized, Succeeded, Failed and staying so) sits the release out:
 * it neither holds the others nor is rolled back with them.
 */
function takesPart(p: MemberProposal): boolean {
  return runPhases.has(p.canary.status?.phase) || runPhases.has(p.status.phase);
}

/** where a member is in its run, for "the others wait until it catches up" (lexicographic) */
function position(status: CanaryStatus | undefined): number[] {
  const phase = status?.phase;
  const rank = phase === 'Finalising' ? 2 : phase === 'Promoting' ? 1 : 0;
  const weight = status?.canaryWeight ?? 0;
  return [rank, rank === 1 ? 100 - weight : weight, status?.iterations ?? 0];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** the fields that decide a member's steps: equal for every member, or the release cannot move in lock step */
function schedule(canary: Canary): Record<string, unknown> {
  const a = getAnalysis(canary);
  return {
    strategy: strategyOf(a),
    'analysis.stepWeight': a?.stepWeight,
    'analysis.stepWeights': a?.stepWeights,
    'analysis.maxWeight': a?.maxWeight,
    'analysis.iterations': a?.iterations,
    'analysis.stepWeightPromotion': a?.stepWeightPromotion,
    'analysis.mirror': a?.mirror,
  };
}

/** the first schedule field where two members differ, as a sentence */
function scheduleMismatch(members: MemberProposal[]): string | undefined {
  const [first, ...rest] = members;
  if (first === undefined) return undefined;
  const want = schedule(first.canary);
  for (const m of rest) {
    const have = schedule(m.canary);
    for (const field of Object.keys(want)) {
      if (JSON.stringify(want[field]) !== JSON.stringify(have[field])) {
        const show = (v: unknown) => (v === undefined ? 'unset' : JSON.stringify(v));
        return `${m.canary.metadata.name}'s ${field} (${show(have[field])}) differs from ${first.canary.metadata.name}'s (${show(want[field])})`;
      }
    }
  }
  return undefined;
}

/** why a member failed: its `Analysis` condition, else its last phase */
function failureReason(p: MemberProposal): string {
  const c = p.status.conditions?.find((x) => x.type === ANALYSIS_CONDITION);
  return c?.message ?? `rolled back in phase ${p.canary.status?.phase ?? 'unknown'}`;
}

function where(status: CanaryStatus | undefined): string {
  const phase = status?.phase ?? 'Initializing';
  if (phase === 'Promoting' || phase === 'Finalising') return `in ${phase}`;
  const it = status?.iterations ?? 0;
  return `at weight ${status?.canaryWeight ?? 0}${it > 0 ? `, iteration ${it}` : ''}`;
}

/**
 * What each member of release `release` may do this tick, given every member's proposal (by member name):
 *
 * - a member that fails (its proposal rolls back a run that had not reached promotion) rolls every other
 *   member back too, unless that member is already promoting; each gets the reason
 *   `release <r>: <member> failed: <why>` in its status and events;
 * - otherwise a step (a new weight or iteration, promotion, the traffic shift back, finalising) happens only
 *   when every member taking part proposes one in the same tick: all their checks passed. Those that
 *   proposed a step while another did not hold where they are (no failed check, an event saying whom they
 *   wait for). Members are compared by position: when one is behind (it joined late, or restarted on a newer
 *   revision), the ones ahead hold until it catches up, so the weights are equal again;
 * - members whose traffic schedules differ (strategy, stepWeight(s), maxWeight, iterations,
 *   stepWeightPromotion, mirror) never step: a Warning names the field.
 */
export function coordinateRelease(release: string, proposals: MemberProposal[]): Map<string, MemberDecision> {
  const out = new Map<string, MemberDecision>();
  for (const p of proposals) out.set(p.canary.metadata.name, { events: [] });
  const members = proposals.filter(takesPart);
  if (members.length === 0) return out;
  const names = (ps: MemberProposal[]) => ps.map((p) => p.canary.metadata.name).join(', ');

  const failed = members.filter((p) => abortablePhases.has(p.canary.status?.phase) && p.status.phase === 'Failed');
  if (failed.length > 0) {
    const first = failed[0]!;
    const message = `release ${release}: ${first.canary.metadata.name} failed: ${failureReason(first)}`;
    const others = members.filter((p) => !failed.includes(p));
    const rolled = others.filter(
      (p) => p.canary.status?.phase !== 'Promoting' && p.canary.status?.phase !== 'Finalising',
    );
    for (const p of others) {
      const d = out.get(p.canary.metadata.name)!;
      if (rolled.includes(p)) d.directive = { kind: 'rollback', message };
      else d.events.push(warning(`${message}; already ${p.canary.status?.phase}, not rolled back`));
    }
    for (const p of failed) {
      const own = p === first ? '' : ` (${p.canary.metadata.name} failed too: ${failureReason(p)})`;
      out
        .get(p.canary.metadata.name)!
        .events.push(
          warning(`${message}${own}; rolling back ${rolled.length > 0 ? names(rolled) : 'no other member'}`),
        );
    }
    return out;
  }

  const steppers = members.filter((p) => p.stepped);
  if (steppers.length === 0) return out;
  const mismatch = scheduleMismatch(members);
  if (mismatch !== undefined) {
    // a Warning (once per tick) rather than a hold message: the members cannot move until a Canary changes
    for (const p of steppers) {
      const d = out.get(p.canary.metadata.name)!;
      d.directive = { kind: 'hold', message: '' };
      d.events.push(warning(`release ${release}: cannot move in lock step: ${mismatch}`));
    }
    return out;
  }
  const waitingFor = members.filter((p) => !p.stepped);
  if (waitingFor.length > 0) {
    for (const p of steppers) {
      out.get(p.canary.metadata.name)!.directive = {
        kind: 'hold',
        message: `release ${release}: holding ${where(p.canary.status)}: waiting for ${waitingFor
          .map((w) => `${w.canary.metadata.name} (${w.status.phase ?? 'Initializing'} ${where(w.status)})`)
          .join(', ')}`,
      };
    }
    return out;
  }
  // every member stepped: the ones ahead wait for the ones behind
  const lowest = members.map((p) => position(p.canary.status)).reduce((a, b) => (compare(a, b) <= 0 ? a : b));
  const behind = members.filter((p) => compare(position(p.canary.status), lowest) === 0);
  for (const p of members) {
    if (behind.includes(p)) continue;
    out.get(p.canary.metadata.name)!.directive = {
      kind: 'hold',
      message: `release ${release}: holding ${where(p.canary.status)}: ${names(behind)} catching up (${where(behind[0]!.canary.status)})`,
    };
  }
  return out;
}
