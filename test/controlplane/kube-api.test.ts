import { afterEach, describe, expect, it } from 'vitest';
import { startHttpApi } from '../../controlplane/api/http-api.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { apiOverMemory, collectWatch, type Reply } from './api-support.js';

const CANARIES = '/apis/flagger.app/v1beta1/namespaces/test/canaries';

function canary(name: string, labels: Record<string, string> = {}, stepWeight = 10) {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name, namespace: 'test', labels },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      service: { port: 9898 },
      analysis: { interval: '30s', threshold: 5, maxWeight: 50, stepWeight },
    },
  };
}

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c();
  closers = [];
});

async function setup(options: Parameters<typeof apiOverMemory>[0] = {}) {
  const s = await apiOverMemory(options);
  closers.push(() => s.api.close());
  return s;
}

const rvOf = (r: Reply) => String(r.body.metadata?.resourceVersion);

describe('Kubernetes API: discovery', () => {
  it('answers /version, /api, /apis and each group/version with its resources and subresources', async () => {
    const { call } = await setup();
    expect((await call('GET', '/version')).body).toMatchObject({ major: '1', gitVersion: expect.any(String) });
    expect((await call('GET', '/api')).body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = (await call('GET', '/api/v1')).body as { resources: Array<Record<string, unknown>> };
    expect(core.resources).toContainEqual(
      expect.objectContaining({ name: 'services', namespaced: true, kind: 'Service', shortNames: ['svc'] }),
    );
    expect(core.resources).toContainEqual(
      expect.objectContaining({ name: 'namespaces', namespaced: false, kind: 'Namespace' }),
    );
    const groups = (await call('GET', '/apis')).body as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['flagger.app', 'apps', 'gateway.networking.k8s.io', 'autoscaling']),
    );
    const flagger = (await call('GET', '/apis/flagger.app/v1beta1')).body as {
      resources: Array<{ name: string; verbs: string[] }>;
    };
    expect(flagger.resources.map((r) => r.name)).toEqual(expect.arrayContaining(['canaries', 'canaries/status']));
    expect(flagger.resources.find((r) => r.name === 'canaries')?.verbs).toEqual(
      expect.arrayContaining(['watch', 'patch', 'create']),
    );
    const apps = (await call('GET', '/apis/apps/v1')).body as { resources: Array<{ name: string; kind: string }> };
    expect(apps.resources).toContainEqual(expect.objectContaining({ name: 'deployments/scale', kind: 'Scale' }));
  });

  it('serves OpenAPI v2 and v3 naming each kind and the fieldValidation parameter of its PATCH', async () => {
    const { call } = await setup();
    const v2 = (await call('GET', '/openapi/v2')).body as {
      definitions: Record<string, { 'x-kubernetes-group-version-kind': unknown[] }>;
    };
    const gvks = Object.values(v2.definitions).flatMap((d) => d['x-kubernetes-group-version-kind']);
    expect(gvks).toContainEqual({ group: 'flagger.app', version: 'v1beta1', kind: 'Canary' });
    const root = (await call('GET', '/openapi/v3')).body as { paths: Record<string, { serverRelativeURL: string }> };
    const doc = (await call('GET', root.paths['apis/flagger.app/v1beta1']!.serverRelativeURL)).body as {
      paths: Record<string, { patch?: { parameters: Array<{ name: string }> } }>;
    };
    const item = doc.paths['/apis/flagger.app/v1beta1/namespaces/{namespace}/canaries/{name}'];
    expect(item?.patch?.parameters.map((p) => p.name)).toContain('fieldValidation');
  });
});

describe('Kubernetes API: create, update, delete', () => {
  it('creates with POST (201), refuses a second create (409 AlreadyExists) and reads it back', async () => {
    const { call } = await setup();
    const created = await call('POST', CANARIES, canary('a'));
    expect(created.status).toBe(201);
    expect(created.body.metadata).toMatchObject({
      name: 'a',
      namespace: 'test',
      generation: 1,
      uid: expect.any(String),
    });
    const again = await call('POST', CANARIES, canary('a'));
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'AlreadyExists', code: 409 });
    expect((await call('GET', `${CANARIES}/a`)).body.metadata).toMatchObject({ name: 'a' });
  });

  it('updates with PUT only from the current resourceVersion: a stale one is 409 Conflict, a missing object 404', async () => {
    const { call } = await setup();
    const created = await call('POST', CANARIES, canary('a'));
    const rv = rvOf(created);
    const first = await call('PUT', `${CANARIES}/a`, {
      ...canary('a', {}, 20),
      metadata: { ...created.body.metadata },
    });
    expect(first.status).toBe(200);
    expect(first.body.metadata).toMatchObject({ generation: 2 });
    const stale = await call('PUT', `${CANARIES}/a`, {
      ...canary('a', {}, 30),
      metadata: { name: 'a', namespace: 'test', resourceVersion: rv },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
      details: { name: 'a', kind: 'canaries' },
    });
    expect(String(stale.body.message)).toContain('the object has been modified');
    const current = await call('GET', `${CANARIES}/a`);
    expect((current.body as { spec: { analysis: { stepWeight: number } } }).spec.analysis.stepWeight).toBe(20);
    const missing = await call('PUT', `${CANARIES}/nope`, canary('nope'));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      details: { name: 'nope', group: 'flagger.app', kind: 'canaries' },
    });
  });

  it('answers 422 Invalid with details.causes naming each field', async () => {
    const { call } = await setup();
    const bad = canary('a') as { spec: { analysis: Record<string, unknown> } };
    bad.spec.analysis.stepWeight = 'ten';
    const r = await call('POST', CANARIES, bad);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      code: 422,
      details: { name: 'a', kind: 'Canary' },
    });
    expect((r.body.details as { causes: unknown[] }).causes).toContainEqual(
      expect.objectContaining({ field: 'spec.analysis.stepWeight', reason: 'FieldValueInvalid' }),
    );
  });

  it('deletes (the object is answered, then 404) and cascades to owned objects unless orphaned', async () => {
    const { call } = await setup();
    const owner = await call('POST', CANARIES, canary('a'));
    const uid = String(owner.body.metadata?.uid);
    const owned = (name: string) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, ownerReferences: [{ apiVersion: 'flagger.app/v1beta1', kind: 'Canary', name: 'a', uid }] },
      data: { x: '1' },
    });
    await call('POST', '/api/v1/namespaces/test/configmaps', owned('child'));
    const del = await call('DELETE', `${CANARIES}/a`);
    expect(del.status).toBe(200);
    expect((await call('GET', `${CANARIES}/a`)).status).toBe(404);
    expect((await call('GET', '/api/v1/namespaces/test/configmaps/child')).status).toBe(404);

    const owner2 = await call('POST', CANARIES, canary('b'));
    const o2 = owned('kept');
    o2.metadata.ownerReferences[0]!.uid = String(owner2.body.metadata?.uid);
    await call('POST', '/api/v1/namespaces/test/configmaps', o2);
    expect(
      (await call('DELETE', `${CANARIES}/b`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' }))
        .status,
    ).toBe(200);
    const kept = await call('GET', '/api/v1/namespaces/test/configmaps/kept');
    expect(kept.status).toBe(200);
    expect(kept.body.metadata?.ownerReferences).toBeUndefined();
    expect((await call('DELETE', `${CANARIES}/b`)).status).toBe(404);
  });

  it('stores and serves kinds Weir does not interpret, cluster-scoped ones without a namespace', async () => {
    const { call } = await setup();
    expect(
      (await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'test' } }))
        .status,
    ).toBe(201);
    const ns = await call('GET', '/api/v1/namespaces/test');
    expect(ns.body).toMatchObject({ kind: 'Namespace', metadata: { name: 'test' } });
    expect(ns.body.metadata?.namespace).toBeUndefined();
    const pdb = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web' },
      spec: { maxReplicas: 3 },
    };
    expect((await call('POST', '/apis/policy/v1/namespaces/test/poddisruptionbudgets', pdb)).status).toBe(201);
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } };
    expect((await call('POST', '/api/v1/namespaces/test/serviceaccounts', sa)).status).toBe(201);
    const list = await call('GET', '/apis/policy/v1/poddisruptionbudgets');
    expect(list.body.items?.map((i) => (i as { spec: unknown }).spec)).toEqual([{ maxReplicas: 3 }]);
  });
});

describe('Kubernetes API: list and watch', () => {
  it('lists with labelSelector and fieldSelector and a resourceVersion; a malformed selector is 400', async () => {
    const { call } = await setup();
    await call('POST', CANARIES, canary('a', { app: 'web', tier: 'front' }));
    await call('POST', CANARIES, canary('b', { app: 'web' }));
    await call('POST', CANARIES, canary('c', { app: 'api' }));
    const names = async (q: string) =>
      (await call('GET', `${CANARIES}?${q}`)).body.items!.map((i) => (i.metadata as { name: string }).name);
    expect(await names('labelSelector=app%3Dweb')).toEqual(['a', 'b']);
    expect(await names('labelSelector=app%20in%20(api,web),!tier')).toEqual(['b', 'c']);
    expect(await names('labelSelector=app!%3Dweb')).toEqual(['c']);
    expect(await names('fieldSelector=metadata.name%3Db')).toEqual(['b']);
    expect(await names('fieldSelector=metadata.namespace%3Dtest,metadata.name!%3Da')).toEqual(['b', 'c']);
    const list = await call('GET', CANARIES);
    expect(list.body).toMatchObject({
      kind: 'CanaryList',
      apiVersion: 'flagger.app/v1beta1',
      metadata: { resourceVersion: expect.stringMatching(/^\d+$/) },
    });
    expect((await call('GET', `${CANARIES}?labelSelector=app%3D%3D%3D`)).status).toBe(400);
  });

  it('watches from a list resourceVersion: changes after it, in order, with their resourceVersions', async () => {
    const { call, api } = await setup();
    await call('POST', CANARIES, canary('a'));
    const rv = rvOf(await call('GET', CANARIES));
    const events = await collectWatch(
      `${api.url}${CANARIES}?watch=true&resourceVersion=${rv}`,
      (e) => e.length >= 3,
      async () => {
        await call('POST', CANARIES, canary('b'));
        await call(
          'PATCH',
          `${CANARIES}/a`,
          { metadata: { labels: { x: 'y' } } },
          { 'content-type': 'application/merge-patch+json' },
        );
        await call('DELETE', `${CANARIES}/b`);
      },
    );
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b']);
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    expect(rvs[0]).toBeGreaterThan(Number(rv));
    expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
  });

  it('a watch without resourceVersion starts with the current objects; a selector turns a relabel into DELETED', async () => {
    const { call, api } = await setup();
    await call('POST', CANARIES, canary('a', { app: 'web' }));
    const events = await collectWatch(
      `${api.url}${CANARIES}?watch=1&labelSelector=app%3Dweb`,
      (e) => e.length >= 2,
      async () => {
        await call('PATCH', `${CANARIES}/a`, [{ op: 'replace', path: '/metadata/labels/app', value: 'api' }], {
          'content-type': 'application/json-patch+json',
        });
      },
    );
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'DELETED a']);
  });

  it('answers an expired resourceVersion with an ERROR event carrying 410 Expired, and sends bookmarks', async () => {
    const { call, api } = await setup({ bookmarkIntervalMs: 50 });
    await call('POST', CANARIES, canary('a'));
    const expired = await collectWatch(`${api.url}${CANARIES}?watch=true&resourceVersion=5`, (e) => e.length >= 1);
    expect(expired[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const rv = rvOf(await call('GET', CANARIES));
    const marks = await collectWatch(
      `${api.url}${CANARIES}?watch=true&allowWatchBookmarks=true&resourceVersion=${rv}`,
      (e) => e.some((x) => x.type === 'BOOKMARK'),
    );
    expect(marks.find((e) => e.type === 'BOOKMARK')?.object.metadata.resourceVersion).toBe(rv);
  });

  it("answers a Table with Flagger's printer columns when asked as kubectl does", async () => {
    const { call } = await setup();
    await call('POST', CANARIES, canary('a'));
    const t = await call('GET', CANARIES, undefined, {
      accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
    });
    expect(t.body.kind).toBe('Table');
    const cols = (t.body.columnDefinitions as Array<{ name: string; priority: number }>).filter(
      (c) => c.priority === 0,
    );
    expect(cols.map((c) => c.name)).toEqual(['Name', 'Status', 'Weight', 'LastTransitionTime']);
    expect((t.body.rows as Array<{ cells: unknown[] }>)[0]?.cells[0]).toBe('a');
  });
});

describe('Kubernetes API: bind address and token', () => {
  it('refuses to listen off loopback without a token', async () => {
    await expect(startHttpApi({ store: new MemoryStore(), host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /requires a bearer token/,
    );
  });

  it('with a token, answers 401 without it and serves with it', async () => {
    const { call } = await setup({ token: 's3cret' });
    const denied = await call('GET', '/api/v1/namespaces/test/services');
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized' });
    expect(
      (await call('GET', '/api/v1/namespaces/test/services', undefined, { authorization: 'Bearer s3cret' })).status,
    ).toBe(200);
  });
});
