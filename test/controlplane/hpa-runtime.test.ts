import { afterEach, describe, expect, it } from 'vitest';
import { HpaController, startRuntime, type LocalRuntime } from '../../controlplane/runtime/index.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { Deployment, HorizontalPodAutoscaler, KubeObject } from '../../engine/resources/index.js';
import { tempDir, waitFor } from './helpers.js';

/** a process that keeps one core busy, without a port (ready as soon as it runs) */
const BUSY = 'for (;;) { let x = 0; for (let i = 0; i < 1e6; i++) x += i; }';

function busyDeployment(replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'burn', namespace: 'test' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'burn' } },
      template: {
        metadata: { labels: { app: 'burn' } },
        spec: {
          terminationGracePeriodSeconds: 1,
          containers: [
            { name: 'app', command: ['node'], args: ['-e', BUSY], resources: { requests: { cpu: '100m' } } },
          ],
        },
      },
    },
  };
}

describe.runIf(process.platform === 'linux')('an HPA over the local runtime (measured CPU of real processes)', () => {
  let runtime: LocalRuntime | undefined;
  let hpa: HpaController | undefined;
  let cleanup: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await hpa?.close();
    await runtime?.close();
    await cleanup?.();
  });

  it('scales a busy Deployment up to maxReplicas and reports its CPU utilization', async () => {
    const store = new MemoryStore();
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    await store.apply(busyDeployment(1));
    await store.apply({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'burn', namespace: 'test' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'burn' },
        minReplicas: 1,
        maxReplicas: 3,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        ],
      },
    });
    runtime = await startRuntime({ store, dir: tmp.dir, maxGracePeriodSeconds: 1, drainMs: 0 });
    hpa = new HpaController({ store, pods: () => runtime!.pods(), syncMs: 1000 });
    hpa.start();
    // a busy loop uses far more than its 100m request: 3 replicas (the max), whatever the machine's load
    await waitFor(
      () => store.get<Deployment>('Deployment', 'test', 'burn')?.spec.replicas === 3,
      'the HPA to scale burn to 3',
      60_000,
    );
    const status = store.get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', 'test', 'burn')!.status!;
    expect(status.desiredReplicas).toBe(3);
    const current = (status.currentMetrics as Array<{ resource: { current: { averageUtilization: number } } }>)[0]!;
    expect(current.resource.current.averageUtilization).toBeGreaterThan(100);
    await waitFor(() => runtime!.pods().filter((p) => p.pid !== undefined).length === 3, 'three processes', 30_000);
  }, 120_000);
});
