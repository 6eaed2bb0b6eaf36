import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { Canary, Deployment, HTTPRoute, KubeObject } from '../../engine/resources/index.js';
import type { MetricQuery, MetricsProvider } from '../../rollouts/index.js';

export const NS = 'test';

export function deployment(name: string, image: string, replicas = 2): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 9898, protocol: 'TCP' }] }] },
      },
      progressDeadlineSeconds: 600,
      minReadySeconds: 0,
    },
  };
}

export function canary(analysis: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'flagger.app/v1beta1',
    kind: 'Canary',
    metadata: { name: 'podinfo', namespace: NS },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' },
      service: {
        port: 9898,
        gatewayRefs: [{ group: 'core', kind: 'Service', name: 'podinfo', port: 9898 }],
      },
      analysis: {
        interval: '10s',
        threshold: 2,
        stepWeight: 10,
        maxWeight: 50,
        metrics: [
          { name: 'request-success-rate', thresholdRange: { min: 99 }, interval: '1m' },
          { name: 'request-duration', thresholdRange: { max: 500 }, interval: '30s' },
        ],
        ...analysis,
      },
      ...spec,
    },
  };
}

/**
 * Stands in for the runtime: every Deployment whose generation moved gets a status saying its replicas
 * are all updated and ready, unless it is held.
 */
export function fakeRuntime(store: MemoryStore): {
  hold: Set<string>;
  release(name: string): Promise<void>;
  stop(): void;
} {
  const hold = new Set<string>();
  const markReady = async (d: Deployment) => {
    const gen = d.metadata.generation ?? 0;
    const r = d.spec.replicas;
    await store.patchStatus('Deployment', d.metadata.namespace, d.metadata.name, {
      observedGeneration: gen,
      replicas: r,
      updatedReplicas: r,
      readyReplicas: r,
      availableReplicas: r,
    });
  };
  const stop = store.watch((e) => {
    if (e.type === 'DELETED' || e.object.kind !== 'Deployment') return;
    const d = e.object as Deployment;
    if (hold.has(d.metadata.name)) return;
    if (d.status?.observedGeneration === d.metadata.generation && d.status?.readyReplicas === d.spec.replicas) return;
    void markReady(d);
  });
  return {
    hold,
    async release(name) {
      hold.delete(name);
      const d = store.get<Deployment>('Deployment', NS, name);
      if (d) await markReady(d);
    },
    stop,
  };
}

/** A metrics provider answering whatever the test sets, and counting queries. */
export class FakeMetrics implements MetricsProvider {
  readonly name = 'mesh';
  values: Record<string, number | undefined> = { 'request-success-rate': 100, 'request-duration': 25 };
  queries: MetricQuery[] = [];
  tracked = new Map<string, boolean>();
  async query(q: MetricQuery): Promise<number | undefined> {
    this.queries.push(q);
    return this.values[q.metric.name];
  }
  track(c: Canary, active: boolean): void {
    this.tracked.set(c.metadata.name, active);
  }
}

export function weights(store: MemoryStore): [number, number] | undefined {
  const r = store.get<HTTPRoute>('HTTPRoute', NS, 'podinfo');
  const refs = r?.spec.rules[0]?.backendRefs ?? [];
  if (!r) return undefined;
  return [
    refs.find((b) => b.name === 'podinfo-primary')!.weight,
    refs.find((b) => b.name === 'podinfo-canary')!.weight,
  ];
}

export function replicas(store: MemoryStore, name: string): number | undefined {
  return store.get<Deployment>('Deployment', NS, name)?.spec.replicas;
}

export function image(store: MemoryStore, name: string): string | undefined {
  return store.get<Deployment>('Deployment', NS, name)?.spec.template.spec.containers[0]?.image;
}

export function status(store: MemoryStore): Canary['status'] {
  return store.get<Canary>('Canary', NS, 'podinfo')?.status;
}
