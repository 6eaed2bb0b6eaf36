import { afterEach, describe, expect, it } from 'vitest';
import { apiOverMemory } from './api-support.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/test/deployments';
const CANARIES = '/apis/flagger.app/v1beta1/namespaces/test/canaries';

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'test' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'web', image: 'web:1', env: [{ name: 'A', value: '1' }], ports: [{ containerPort: 8080 }] },
          { name: 'side', image: 'side:1' },
        ],
      },
    },
  },
};

const canary = {
  apiVersion: 'flagger.app/v1beta1',
  kind: 'Canary',
  metadata: { name: 'web', namespace: 'test' },
  spec: {
    targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    service: { port: 9898 },
    analysis: { interval: '30s', threshold: 5, maxWeight: 50, stepWeight: 10 },
  },
};

type Containers = Array<{ name: string; image: string; env?: Array<{ name: string; value: string }> }>;
const containersOf = (b: unknown) =>
  (b as { spec: { template: { spec: { containers: Containers } } } }).spec.template.spec.containers;

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});
async function setup() {
  const s = await apiOverMemory();
  closers.push(() => s.api.close());
  return s;
}

describe('Kubernetes API: PATCH', () => {
  it('strategic merge patch merges containers by name and env by name on built-in kinds', async () => {
    const { call } = await setup();
    await call('POST', DEPLOYMENTS, deployment);
    const r = await call(
      'PATCH',
      `${DEPLOYMENTS}/web`,
      {
        spec: {
          template: { spec: { containers: [{ name: 'web', image: 'web:2', env: [{ name: 'B', value: '2' }] }] } },
        },
      },
      { 'content-type': 'application/strategic-merge-patch+json' },
    );
    expect(r.status).toBe(200);
    const cs = containersOf(r.body);
    expect(cs.map((c) => `${c.name}=${c.image}`)).toEqual(['web=web:2', 'side=side:1']);
    expect(cs[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(r.body.metadata).toMatchObject({ generation: 2 });
    const del = await call(
      'PATCH',
      `${DEPLOYMENTS}/web`,
      { spec: { template: { spec: { containers: [{ name: 'side', $patch: 'delete' }] } } } },
      { 'content-type': 'application/strategic-merge-patch+json' },
    );
    expect(containersOf(del.body).map((c) => c.name)).toEqual(['web']);
  });

  it('merge patch replaces lists, JSON patch applies operations (a failed test is 422), and SMP on a custom resource is 415', async () => {
    const { call } = await setup();
    await call('POST', DEPLOYMENTS, deployment);
    const merged = await call(
      'PATCH',
      `${DEPLOYMENTS}/web`,
      { spec: { template: { spec: { containers: [{ name: 'only', image: 'x:1' }] } } } },
      {
        'content-type': 'application/merge-patch+json',
      },
    );
    expect(containersOf(merged.body).map((c) => c.name)).toEqual(['only']);
    const json = await call('PATCH', `${DEPLOYMENTS}/web`, [{ op: 'replace', path: '/spec/replicas', value: 3 }], {
      'content-type': 'application/json-patch+json',
    });
    expect((json.body as { spec: { replicas: number } }).spec.replicas).toBe(3);
    const failed = await call('PATCH', `${DEPLOYMENTS}/web`, [{ op: 'test', path: '/spec/replicas', value: 1 }], {
      'content-type': 'application/json-patch+json',
    });
    expect(failed.status).toBe(422);
    await call('POST', CANARIES, canary);
    const smp = await call(
      'PATCH',
      `${CANARIES}/web`,
      { spec: { suspend: true } },
      { 'content-type': 'application/strategic-merge-patch+json' },
    );
    expect(smp.status).toBe(415);
    expect(smp.body).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType' });
    expect(
      (await call('PATCH', `${CANARIES}/nope`, { spec: {} }, { 'content-type': 'application/merge-patch+json' }))
        .status,
    ).toBe(404);
    const invalid = await call(
      'PATCH',
      `${CANARIES}/web`,
      { spec: { analysis: { threshold: 'x' } } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(invalid.status).toBe(422);
    expect((invalid.body.details as { causes: Array<{ field: string }> }).causes[0]?.field).toBe(
      'spec.analysis.threshold',
    );
  });

  it("server-side apply: creates, records field managers, 409 on another manager's field unless forced, drops fields a manager stops applying", async () => {
    const { call } = await setup();
    const apply = (manager: string, body: unknown, force = false) =>
      call('PATCH', `${CANARIES}/web?fieldManager=${manager}${force ? '&force=true' : ''}`, JSON.stringify(body), {
        'content-type': 'application/apply-patch+yaml',
      });
    const created = await apply('alice', { ...canary, metadata: { ...canary.metadata, labels: { team: 'a' } } });
    expect(created.status).toBe(201);
    const mf = created.body.metadata?.managedFields as Array<{
      manager: string;
      operation: string;
      fieldsV1: Record<string, unknown>;
    }>;
    expect(mf).toEqual([expect.objectContaining({ manager: 'alice', operation: 'Apply' })]);
    expect(mf[0]!.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:team': {} } },
      'f:spec': { 'f:analysis': { 'f:stepWeight': {} } },
    });

    const bob = {
      apiVersion: canary.apiVersion,
      kind: 'Canary',
      metadata: { name: 'web' },
      spec: { analysis: { stepWeight: 20 } },
    };
    const conflict = await apply('bob', bob);
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ reason: 'Conflict' });
    expect(String(conflict.body.message)).toContain('conflict with "alice": .spec.analysis.stepWeight');
    const forced = await apply('bob', bob, true);
    expect(forced.status).toBe(200);
    expect((forced.body as typeof canary).spec.analysis.stepWeight).toBe(20);

    // alice no longer applies the label: it goes; her other fields stay hers
    const again = await apply('alice', {
      ...canary,
      spec: { ...canary.spec, analysis: { ...canary.spec.analysis, stepWeight: 20 } },
    });
    expect(again.status).toBe(200);
    expect(again.body.metadata?.labels).toBeUndefined();
    expect(
      (await call('PATCH', `${CANARIES}/web`, '{}', { 'content-type': 'application/apply-patch+yaml' })).status,
    ).toBe(400);
  });

  it('the status subresource changes only .status (no new generation), with optimistic concurrency; spec writes keep the status', async () => {
    const { call } = await setup();
    const created = await call('POST', CANARIES, canary);
    const rv = String(created.body.metadata?.resourceVersion);
    const st = await call('PUT', `${CANARIES}/web/status`, {
      ...canary,
      metadata: { ...canary.metadata, resourceVersion: rv },
      spec: { ignored: true },
      status: { phase: 'Progressing', canaryWeight: 10, failedChecks: 0, iterations: 0 },
    });
    expect(st.status).toBe(200);
    expect(st.body).toMatchObject({ status: { phase: 'Progressing' }, metadata: { generation: 1 } });
    expect((st.body as typeof canary).spec.analysis.stepWeight).toBe(10);
    const stale = await call('PUT', `${CANARIES}/web/status`, {
      ...canary,
      metadata: { ...canary.metadata, resourceVersion: rv },
      status: { phase: 'Failed' },
    });
    expect(stale.status).toBe(409);
    const merged = await call(
      'PATCH',
      `${CANARIES}/web/status`,
      { status: { canaryWeight: 20 } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(merged.body).toMatchObject({ status: { phase: 'Progressing', canaryWeight: 20 } });
    // a spec update through the main resource cannot touch the status
    const spec = await call(
      'PATCH',
      `${CANARIES}/web`,
      { spec: { suspend: true }, status: { phase: 'Failed' } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(spec.body).toMatchObject({
      status: { phase: 'Progressing', canaryWeight: 20 },
      metadata: { generation: 2 },
    });
  });

  it("the scale subresource reads and writes a Deployment's replicas", async () => {
    const { call } = await setup();
    await call('POST', DEPLOYMENTS, deployment);
    const scale = await call('GET', `${DEPLOYMENTS}/web/scale`);
    expect(scale.body).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 1 },
      status: { selector: 'app=web' },
    });
    const patched = await call(
      'PATCH',
      `${DEPLOYMENTS}/web/scale`,
      { spec: { replicas: 4 } },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(patched.body).toMatchObject({ kind: 'Scale', spec: { replicas: 4 } });
    const put = await call('PUT', `${DEPLOYMENTS}/web/scale`, { ...scale.body, spec: { replicas: 2 } });
    expect(put.status).toBe(409); // the Scale read before the patch is stale
    const fresh = await call('GET', `${DEPLOYMENTS}/web/scale`);
    expect((await call('PUT', `${DEPLOYMENTS}/web/scale`, { ...fresh.body, spec: { replicas: 2 } })).status).toBe(200);
    expect((await call('GET', `${DEPLOYMENTS}/web`)).body).toMatchObject({ spec: { replicas: 2 } });
    expect((await call('PUT', `${DEPLOYMENTS}/web/scale`, { spec: { replicas: -1 } })).status).toBe(422);
    expect((await call('GET', `${CANARIES}/web/scale`)).status).toBe(404);
  });
});
