import { describe, expect, it } from 'vitest';
import { computeDesiredReplicas, cpuMillis, type HpaInput } from '../../../engine/autoscaling/hpa.js';

const base: HpaInput = {
  now: 1_000_000,
  currentReplicas: 2,
  minReplicas: 1,
  maxReplicas: 10,
  target: { averageUtilization: 50 },
  usageMillis: [100, 100],
  requestMillis: 200,
  recommendations: [],
};

describe('the HPA replica calculation (Kubernetes podautoscaler)', () => {
  it('reads CPU quantities as millicores', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('0.5')).toBe(500);
    expect(cpuMillis('2')).toBe(2000);
    expect(cpuMillis(1)).toBe(1000);
    expect(cpuMillis('1Gi')).toBeUndefined();
  });

  it('scales up to ceil(pods * utilization / target)', () => {
    // 2 pods at 150% of a 50% target: ratio 3 -> 6 replicas
    const d = computeDesiredReplicas({ ...base, usageMillis: [300, 300] });
    expect(d.currentUtilization).toBe(150);
    expect(d.recommended).toBe(6);
    expect(d.desiredReplicas).toBe(6);
  });

  it('does nothing within the 10% tolerance', () => {
    // 54% of a 50% target: ratio 1.08
    expect(computeDesiredReplicas({ ...base, usageMillis: [108, 108] }).desiredReplicas).toBe(2);
    // 56%: ratio 1.12 -> ceil(2.24) = 3
    expect(computeDesiredReplicas({ ...base, usageMillis: [112, 112] }).desiredReplicas).toBe(3);
  });

  it('is clamped to minReplicas and maxReplicas, and says so', () => {
    const up = computeDesiredReplicas({ ...base, usageMillis: [2000, 2000] });
    expect(up.desiredReplicas).toBe(10);
    expect(up.limited?.reason).toBe('TooManyReplicas');
    const down = computeDesiredReplicas({ ...base, minReplicas: 2, usageMillis: [0, 0], scaleDownWindowMs: 0 });
    expect(down.desiredReplicas).toBe(2);
    expect(down.limited?.reason).toBe('TooFewReplicas');
  });

  it('scales down only to the highest recommendation of the stabilization window', () => {
    let recommendations = computeDesiredReplicas({
      ...base,
      currentReplicas: 4,
      usageMillis: [300, 300, 300, 300],
    }).recommendations;
    // load gone one minute later: the metric says 0, the window (5 min) still holds 12: stays at 4
    const later = computeDesiredReplicas({
      ...base,
      now: base.now + 60_000,
      currentReplicas: 4,
      usageMillis: [0, 0, 0, 0],
      recommendations,
    });
    expect(later.recommended).toBe(0);
    expect(later.desiredReplicas).toBe(4);
    recommendations = later.recommendations;
    // once 12 is out of the window: down to minReplicas
    const after = computeDesiredReplicas({
      ...base,
      now: base.now + 301_000,
      currentReplicas: 4,
      usageMillis: [0, 0, 0, 0],
      recommendations,
    });
    expect(after.desiredReplicas).toBe(1);
    // a window of 0 (behavior.scaleDown.stabilizationWindowSeconds: 0) scales down at once
    expect(
      computeDesiredReplicas({
        ...base,
        now: base.now + 61_000,
        currentReplicas: 4,
        usageMillis: [0, 0, 0, 0],
        recommendations,
        scaleDownWindowMs: 0,
      }).desiredReplicas,
    ).toBe(1);
  });

  it('an AverageValue target compares the average usage with it', () => {
    const d = computeDesiredReplicas({
      ...base,
      target: { averageValueMillis: 100 },
      usageMillis: [250, 250],
      requestMillis: 0,
    });
    expect(d.currentAverageMillis).toBe(250);
    expect(d.desiredReplicas).toBe(5);
  });

  it('without requests, without measurements, or at zero replicas it leaves the replicas alone and says why', () => {
    expect(computeDesiredReplicas({ ...base, requestMillis: 0, usageMillis: [900, 900] })).toMatchObject({
      desiredReplicas: 2,
      inactive: { reason: 'FailedGetResourceMetric' },
    });
    expect(computeDesiredReplicas({ ...base, usageMillis: [] })).toMatchObject({
      desiredReplicas: 2,
      inactive: { reason: 'FailedGetResourceMetric' },
    });
    expect(computeDesiredReplicas({ ...base, currentReplicas: 0, usageMillis: [900] })).toMatchObject({
      desiredReplicas: 0,
      inactive: { reason: 'ScalingDisabled' },
    });
  });
});
