import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  formatResourceError,
  parseManifests,
  type Canary,
  type Deployment,
  type Pod,
  type Service,
} from '../../engine/resources/index.js';
import { startRuntime, type LocalRuntime } from '../../controlplane/runtime/index.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import { tempDir, waitFor } from '../controlplane/helpers.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DEMO = join(ROOT, 'samples', 'demo');

async function load(file: string) {
  const result = parseManifests(await readFile(join(DEMO, file), 'utf8'), file);
  expect(result.errors.map(formatResourceError)).toEqual([]);
  return result.objects;
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

describe('demo manifests', () => {
  it('podinfo.yaml: a Deployment of the compiled sample app and its Service', async () => {
    const objects = await load('podinfo.yaml');
    const dep = objects.find((o) => o.kind === 'Deployment') as Deployment;
    const svc = objects.find((o) => o.kind === 'Service') as Service;
    expect(dep.metadata).toMatchObject({ name: 'podinfo', namespace: 'test' });
    expect(dep.spec.replicas).toBe(2);
    const c = dep.spec.template.spec.containers[0]!;
    expect(c.image).toBe('ghcr.io/stefanprodan/podinfo:6.0.0');
    expect(c.command).toEqual(['node']);
    // the runtime runs it in the manifests folder: the path leads to tsc's output of samples/app/server.ts
    expect(resolve(DEMO, c.args![0]!)).toBe(join(ROOT, 'dist', 'samples', 'app', 'server.js'));
    expect(c.readinessProbe?.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(c.ports?.[0]).toMatchObject({ name: 'http', containerPort: 9898 });
    expect(svc.metadata).toMatchObject({ name: 'podinfo', namespace: 'test' });
    expect(svc.spec.selector).toEqual({ app: 'podinfo' });
    expect(svc.spec.ports[0]).toMatchObject({ name: 'http', port: 9898 });
  });

  it('canary.yaml: a Flagger Canary for podinfo', async () => {
    const [canary] = (await load('canary.yaml')) as Canary[];
    expect(canary!.metadata).toMatchObject({ name: 'podinfo', namespace: 'test' });
    expect(canary!.spec.targetRef).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' });
    expect(canary!.spec.service.port).toBe(9898);
    expect(canary!.spec.service.gatewayRefs).toEqual([{ group: 'core', kind: 'Service', name: 'podinfo', port: 9898 }]);
    expect(canary!.spec.analysis).toMatchObject({ interval: '2s', threshold: 3, maxWeight: 50, stepWeight: 10 });
    expect(canary!.spec.analysis?.metrics).toEqual([
      { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '10s' },
      { name: 'request-duration', thresholdRange: { max: 500 }, interval: '10s' },
    ]);
  });

  it('the podinfo Deployment runs under the local runtime (sample app from source via tsx)', async () => {
    const t = await tempDir('weir-demo-');
    cleanups.push(t.cleanup);
    const store = new MemoryStore();
    for (const o of await load('podinfo.yaml')) {
      if (o.kind === 'Deployment') {
        // the compiled app may not be built when tests run alone: run its source through tsx instead
        (o as Deployment).spec.template.spec.containers[0]!.args = ['--import', 'tsx', '../app/server.ts'];
      }
      await store.apply(o);
    }
    const runtime: LocalRuntime = await startRuntime({
      store,
      dir: DEMO,
      logDir: join(t.dir, 'logs'),
      maxGracePeriodSeconds: 2,
      drainMs: 0,
    });
    cleanups.push(() => runtime.close());
    await waitFor(
      () =>
        store
          .list<Pod>('Pod', 'test')
          .filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length === 2,
      'two ready podinfo pods',
      20_000,
      50,
    );
    for (const p of runtime.pods()) {
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: p.appPort, path: '/', agent: false }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += c.toString()));
          res.on('end', () => resolve(b));
        });
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toMatchObject({ hostname: p.name, version: '1.0.0' });
    }
  });
});
