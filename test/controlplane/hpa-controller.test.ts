import { describe, expect, it } from 'vitest';
import { CpuSampler, HpaController, parseProcStat, procCpuTimeMs } from '../../controlplane/runtime/index.js';
import type { RuntimePod } from '../../controlplane/runtime/index.js';
import { MemoryStore } from '../../controlplane/store/memory-store.js';
import type { Deployment, HorizontalPodAutoscaler } from '../../engine/resources/index.js';

const NS = 'test';

function deployment(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'app', resources: { requests: { cpu: '100m' } } }] },
      },
      progressDeadlineSeconds: 600,
      minReadySeconds: 0,
    },
  };
}

const hpa: HorizontalPodAutoscaler = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name: 'web', namespace: NS },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
    minReplicas: 1,
    maxReplicas: 4,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
  },
};

describe('the local HPA controller', () => {
  it('reads utime + stime from /proc/PID/stat (a command name with spaces and parentheses)', () => {
    const stat = '1234 (my (odd) app) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 1 0 100 0 0';
    expect(parseProcStat(stat)).toBe(3000);
    if (process.platform === 'linux') expect(procCpuTimeMs(process.pid)).toBeGreaterThan(0);
  });

  it('scales the target on the measured CPU against its requests and writes the HPA status', async () => {
    let now = 1_000_000;
    const store = new MemoryStore(() => new Date(now));
    await store.apply(deployment(2));
    await store.apply(hpa);
    // fake CPU clocks: each pid has used `cpu[pid]` ms of CPU so far
    const cpu = new Map<number, number>([
      [11, 0],
      [12, 0],
    ]);
    const pods = (): RuntimePod[] =>
      [...cpu.keys()].map((pid) => ({
        namespace: NS,
        name: `web-${pid}`,
        deployment: 'web',
        kind: 'Deployment',
        templateHash: 'h',
        pid,
        ready: true,
        restartCount: 0,
        state: 'running',
      }));
    const hpaController = new HpaController({
      store,
      pods,
      sampler: new CpuSampler((pid) => cpu.get(pid)),
      now: () => now,
    });
    await hpaController.sync(); // first readings: no interval yet
    const first = store.get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', NS, 'web')!.status;
    expect(first).toMatchObject({ currentReplicas: 2, desiredReplicas: 2, currentMetrics: [] });
    expect(first?.conditions?.find((c) => c.type === 'ScalingActive')).toMatchObject({ status: 'False' });

    // 10 s later each process used 1.5 s of CPU: 150 millicores = 150% of a 100m request, target 50% -> 6 -> max 4
    now += 10_000;
    cpu.set(11, 1500).set(12, 1500);
    await hpaController.sync();
    expect(store.get<Deployment>('Deployment', NS, 'web')!.spec.replicas).toBe(4);
    const st = store.get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', NS, 'web')!.status!;
    expect(st).toMatchObject({
      currentReplicas: 2,
      desiredReplicas: 4,
      currentMetrics: [
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 150, averageValue: '150m' } } },
      ],
    });
    expect(st.lastScaleTime).toBe(new Date(now).toISOString());
    expect(st.conditions?.find((c) => c.type === 'ScalingLimited')).toMatchObject({
      status: 'True',
      reason: 'TooManyReplicas',
    });

    // idle: 5 millicores each, a 0 s scale-down window -> minReplicas
    now += 10_000;
    cpu.set(11, 1550).set(12, 1550);
    await hpaController.sync();
    expect(store.get<Deployment>('Deployment', NS, 'web')!.spec.replicas).toBe(1);

    // a target scaled to zero (a canary at rest) is left alone
    await store.apply(deployment(0));
    now += 10_000;
    await hpaController.sync();
    expect(store.get<Deployment>('Deployment', NS, 'web')!.spec.replicas).toBe(0);
    expect(
      store
        .get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler', NS, 'web')!
        .status?.conditions?.find((c) => c.type === 'ScalingActive'),
    ).toMatchObject({ status: 'False', reason: 'ScalingDisabled' });
    await hpaController.close();
  });
});
