import { describe, expect, it } from 'vitest';
import {
  coordinateRelease,
  laneOf,
  laneOfTick,
  releaseOf,
  RELEASE_LABEL,
  type CanaryEvent,
} from '../../../engine/canary/index.js';
import { canarySchema, type Canary } from '../../../engine/resources/index.js';
import { healthy, makeCanary, World } from './harness.js';

/** a member Canary of release `shop` named and targeting `name` */
function member(name: string, analysis: Record<string, unknown> = {}): World {
  const base = makeCanary(analysis, { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name } });
  const canary: Canary = { ...base, metadata: { ...base.metadata, name, labels: { [RELEASE_LABEL]: 'shop' } } };
  const w = new World(canary);
  w.initialize();
  w.events = [];
  return w;
}

/**
 * The members ticked together as the controller does with a release (rollouts/controller.ts): every member's
 * proposal, the coordinator's decisions, the ticks with a directive run again, all applied. The fake clock
 * of each World moves one interval per tick.
 */
class Release {
  readonly members: World[];
  constructor(...members: World[]) {
    this.members = members;
  }

  tick(): Map<string, CanaryEvent[]> {
    const proposals = this.members.map((w) => ({ w, result: w.propose() }));
    const decisions = coordinateRelease(
      'shop',
      proposals.map(({ w, result }) => ({ canary: w.canary, status: result.status, stepped: result.stepped === true })),
    );
    const out = new Map<string, CanaryEvent[]>();
    for (const { w, result } of proposals) {
      const d = decisions.get(w.canary.metadata.name)!;
      const final = d.directive !== undefined ? w.propose(d.directive) : result;
      out.set(w.canary.metadata.name, w.commit(final, d.events));
    }
    return out;
  }

  /** [phase, weight] of each member */
  state(): string[] {
    return this.members.map((w) => `${w.canary.metadata.name} ${w.status.phase} ${w.routes?.canary ?? 0}`);
  }

  weights(): number[] {
    return this.members.map((w) => w.routes?.canary ?? 0);
  }
}

const failing = [
  { name: 'request-success-rate', value: 42, provider: 'mesh' },
  { name: 'request-duration', value: 20, provider: 'mesh' },
];

describe('coordinated canaries: membership and lanes', () => {
  it('a Canary is in the release named by its weir.io/release label, else by that annotation', () => {
    const c = makeCanary();
    expect(releaseOf(c)).toBeUndefined();
    expect(releaseOf({ metadata: { ...c.metadata, annotations: { [RELEASE_LABEL]: 'shop' } } })).toBe('shop');
    expect(
      releaseOf({
        metadata: { ...c.metadata, labels: { [RELEASE_LABEL]: 'cart' }, annotations: { [RELEASE_LABEL]: 'shop' } },
      }),
    ).toBe('cart');
  });

  it('the lane is <namespace>/<release> from the start of the analysis to the end of Finalising', () => {
    const c = member('frontend').canary;
    const lane = (phase: string) => laneOf(c, { ...c.status!, phase: phase as never });
    expect(['Progressing', 'WaitingPromotion', 'Promoting', 'Finalising'].map(lane)).toEqual(
      Array(4).fill('test/shop'),
    );
    expect(['Initialized', 'Waiting', 'Succeeded', 'Failed'].map(lane)).toEqual(Array(4).fill(undefined));
    expect(laneOf(makeCanary(), { ...c.status!, phase: 'Progressing' })).toBeUndefined();
  });

  it('the routes keep the lane in the tick that ends the run (rollback, promotion done) and lose it in the next', () => {
    const c = member('frontend').canary;
    const status = (phase: string) => ({ ...c.status!, phase: phase as never });
    const tick = (before: string, after: string) => laneOfTick(c, status(before), status(after));
    // the rollback tick: the members' routes go to 100/0 one after the other; a request already on a canary
    // keeps finding the other members' lane rules
    expect(tick('Progressing', 'Failed')).toBe('test/shop');
    expect(tick('Finalising', 'Succeeded')).toBe('test/shop');
    expect(tick('Failed', 'Failed')).toBeUndefined();
    expect(tick('Succeeded', 'Succeeded')).toBeUndefined();
    expect(tick('Initialized', 'Progressing')).toBe('test/shop');
    expect(laneOfTick(makeCanary(), status('Progressing'), status('Failed'))).toBeUndefined();
  });
});

describe('coordinated canaries: lock step', () => {
  it('two members with new revisions advance with equal weights at every tick and promote together', () => {
    const r = new Release(member('frontend'), member('backend'));
    for (const w of r.members) w.newRevision();
    const seen: string[][] = [];
    for (let i = 0; i < 20 && !r.members.every((w) => w.status.phase === 'Succeeded'); i++) {
      r.tick();
      const [f, b] = r.members.map((w) => w.status);
      expect(r.weights()[0]).toBe(r.weights()[1]);
      expect(f!.phase).toBe(b!.phase);
      seen.push(r.state());
    }
    expect(seen.map((s) => s[0])).toEqual([
      'frontend Progressing 0',
      'frontend Progressing 10',
      'frontend Progressing 20',
      'frontend Progressing 30',
      'frontend Progressing 40',
      'frontend Progressing 50',
      'frontend Promoting 50',
      'frontend Finalising 0',
      'frontend Succeeded 0',
    ]);
    expect(r.members.map((w) => w.primaryHash)).toEqual(['rev2', 'rev2']);
  });

  it("a member's failed check holds the whole release at its weight; it moves on once every check passes", () => {
    const [f, b] = [member('frontend'), member('backend')];
    const r = new Release(f, b);
    f.newRevision();
    b.newRevision();
    r.tick(); // Progressing 0
    r.tick(); // 10
    r.tick(); // 20
    b.metrics = () => failing;
    const events = r.tick();
    expect(r.weights()).toEqual([20, 20]);
    expect(f.status.failedChecks).toBe(0);
    expect(b.status.failedChecks).toBe(1);
    expect(events.get('frontend')!.map((e) => e.message)).toContain(
      'release shop: holding at weight 20: waiting for backend (Progressing at weight 20)',
    );
    b.metrics = () => healthy;
    r.tick();
    expect(r.weights()).toEqual([30, 30]);
  });

  it('a member that fails rolls every member back, with the reason in each status and in the events', () => {
    const [f, b] = [member('frontend', { threshold: 2 }), member('backend', { threshold: 2 })];
    const r = new Release(f, b);
    f.newRevision();
    b.newRevision();
    r.tick();
    r.tick();
    r.tick(); // 20
    b.metrics = () => failing;
    r.tick(); // failed check 1
    r.tick(); // failed check 2
    const events = r.tick(); // threshold reached: rollback
    expect(r.state()).toEqual(['frontend Failed 0', 'backend Failed 0']);
    expect(f.targetReplicas).toBe(0);
    expect(b.targetReplicas).toBe(0);
    const want =
      'release shop: backend failed: metric request-success-rate: value 42 below the minimum 99 (failed checks 2/2)';
    const cond = (w: World) => w.status.conditions?.find((c) => c.type === 'Analysis');
    expect(cond(f)).toMatchObject({ reason: 'ReleaseFailed', message: want });
    expect(cond(b)).toMatchObject({ reason: 'MetricCheckFailed' });
    expect(events.get('frontend')!.map((e) => e.message)).toContain(want);
    expect(events.get('backend')!.map((e) => e.message)).toContain(`${want}; rolling back frontend`);
    // the failed revisions are not retried until their templates change
    r.tick();
    expect(r.state()).toEqual(['frontend Failed 0', 'backend Failed 0']);
  });

  it('a member whose target did not change sits the release out; the changed one runs alone', () => {
    const [f, b] = [member('frontend'), member('backend')];
    const r = new Release(f, b);
    f.newRevision();
    for (let i = 0; i < 9; i++) r.tick();
    expect(r.state()).toEqual(['frontend Succeeded 0', 'backend Initialized 0']);
    expect(b.targetReplicas).toBe(0);
  });

  it('a member that joins late is waited for: the others hold until it catches up, then all move together', () => {
    const [f, b] = [member('frontend'), member('backend')];
    const r = new Release(f, b);
    f.newRevision();
    r.tick(); // frontend Progressing 0
    r.tick(); // 10
    r.tick(); // 20
    b.newRevision();
    const weights: number[][] = [];
    for (let i = 0; i < 4; i++) {
      r.tick();
      weights.push(r.weights());
    }
    // backend starts (frontend holds: backend is not stepping), then climbs 10, 20 while frontend waits
    expect(weights).toEqual([
      [20, 0],
      [20, 10],
      [20, 20],
      [30, 30],
    ]);
  });

  it('a member whose canary is not ready yet holds the others at weight 0', () => {
    const [f, b] = [member('frontend'), member('backend')];
    const r = new Release(f, b);
    f.newRevision();
    b.newRevision();
    b.canaryReady = { ready: false, retriable: true, message: 'waiting for rollout' };
    r.tick();
    r.tick();
    r.tick();
    expect(r.weights()).toEqual([0, 0]);
    b.canaryReady = { ready: true };
    r.tick();
    expect(r.weights()).toEqual([10, 10]);
  });

  it('members with different traffic schedules do not move, and a Warning names the field', () => {
    const [f, b] = [member('frontend'), member('backend', { stepWeight: 20 })];
    const r = new Release(f, b);
    f.newRevision();
    b.newRevision();
    r.tick();
    const events = r.tick();
    expect(r.weights()).toEqual([0, 0]);
    expect(events.get('frontend')!.map((e) => e.message)).toContain(
      "release shop: cannot move in lock step: backend's analysis.stepWeight (20) differs from frontend's (10)",
    );
  });

  it('a closed confirm-promotion gate of one member holds the promotion of all', () => {
    const gate = { webhooks: [{ name: 'gate', type: 'confirm-promotion', url: 'http://lt/gate' }] };
    const [f, b] = [member('frontend'), member('backend', gate)];
    const r = new Release(f, b);
    b.hooks['confirm-promotion'] = [{ name: 'gate', ok: false, message: 'closed' }];
    f.newRevision();
    b.newRevision();
    for (let i = 0; i < 8; i++) r.tick();
    expect(r.state()).toEqual(['frontend Progressing 50', 'backend WaitingPromotion 50']);
    b.hooks['confirm-promotion'] = [{ name: 'gate', ok: true }];
    r.tick();
    expect(r.state()).toEqual(['frontend Promoting 50', 'backend Promoting 50']);
  });

  it('promotion shifts traffic back together: a member whose primary is not ready yet holds the other', () => {
    const [f, b] = [member('frontend'), member('backend')];
    const r = new Release(f, b);
    f.newRevision();
    b.newRevision();
    for (let i = 0; i < 7; i++) r.tick();
    expect(r.state()).toEqual(['frontend Promoting 50', 'backend Promoting 50']);
    b.primaryReady = { ready: false, retriable: true, message: 'primary rolling out' };
    r.tick();
    expect(r.state()).toEqual(['frontend Promoting 50', 'backend Promoting 50']);
    b.primaryReady = { ready: true };
    r.tick();
    expect(r.state()).toEqual(['frontend Finalising 0', 'backend Finalising 0']);
  });
});

describe('coordinated canaries: the release label at the edge', () => {
  const parse = (metadata: Record<string, unknown>) =>
    canarySchema.safeParse({ ...makeCanary(), status: undefined, metadata: { name: 'web', ...metadata } });

  it('accepts a DNS-label release name as label or annotation, the same in both', () => {
    expect(parse({ labels: { [RELEASE_LABEL]: 'shop-2' } }).success).toBe(true);
    expect(parse({ annotations: { [RELEASE_LABEL]: 'shop' }, labels: { [RELEASE_LABEL]: 'shop' } }).success).toBe(true);
  });

  it('refuses a name that is not a DNS label, and a label and annotation that disagree, naming the field', () => {
    const bad = parse({ labels: { [RELEASE_LABEL]: 'Shop/1' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: ['metadata', 'labels', RELEASE_LABEL] });
    const clash = parse({ labels: { [RELEASE_LABEL]: 'a' }, annotations: { [RELEASE_LABEL]: 'b' } });
    expect(clash.error?.issues[0]?.message).toBe(
      'names release "b" but the label names "a": set one, or both the same',
    );
  });
});
