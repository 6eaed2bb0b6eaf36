import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  configChecksum,
  configRefs,
  configsChanged,
  goJsonMap,
  sha256,
  toHex,
  trackedConfigs,
  withPrimaryConfigs,
  type TrackableConfig,
} from '../../../engine/canary/index.js';
import { podTemplate, type PodTemplate } from '../../../engine/resources/index.js';
import { makeCanary, World } from './harness.js';

const nodeSha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** a template referencing configs every way Flagger scans */
const template: PodTemplate = podTemplate.parse({
  metadata: { labels: { app: 'podinfo' } },
  spec: {
    containers: [
      {
        name: 'app',
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'a' } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'b' } } },
          { name: 'C', value: 'plain' },
          { name: 'D', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'd' } } },
        ],
        envFrom: [{ configMapRef: { name: 'from-cm' } }, { secretRef: { name: 'from-secret' } }],
      },
    ],
    initContainers: [{ name: 'init', envFrom: [{ configMapRef: { name: 'init-cm' } }] }],
    volumes: [
      { name: 'v1', configMap: { name: 'vol-cm' } },
      { name: 'v2', secret: { secretName: 'vol-secret' } },
      {
        name: 'v3',
        projected: { sources: [{ configMap: { name: 'proj-cm' } }, { secret: { name: 'proj-secret' } }] },
      },
      { name: 'v4', emptyDir: {} },
    ],
  },
});

describe('sha256 (pure)', () => {
  it('matches the FIPS test vectors and node:crypto across block boundaries', () => {
    const hex = (s: string) => toHex(sha256(new TextEncoder().encode(s)));
    expect(hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    for (const n of [55, 56, 63, 64, 65, 119, 120, 1000]) expect(hex('x'.repeat(n))).toBe(nodeSha('x'.repeat(n)));
    expect(hex('é😀')).toBe(nodeSha('é😀'));
  });
});

describe('config checksums (Flagger checksum of json.Marshal(data))', () => {
  it('hashes the data as Go writes it: sorted keys, HTML characters escaped, nil as null', () => {
    expect(goJsonMap({ b: '2', a: '<x & y>\n"q"' })).toBe('{"a":"\\u003cx \\u0026 y\\u003e\\n\\"q\\"","b":"2"}');
    expect(goJsonMap(undefined)).toBe('null');
    expect(goJsonMap({})).toBe('{}');
    const sum = configChecksum({ b: '2', a: '1' });
    expect(sum).toBe(nodeSha('{"a":"1","b":"2"}').slice(0, 16));
    expect(sum).toHaveLength(16);
    expect(configChecksum({ a: '1', b: '2' })).toBe(sum);
    expect(configChecksum({ a: '1', b: '3' })).not.toBe(sum);
    expect(configChecksum(undefined)).toBe(nodeSha('null').slice(0, 16));
  });

  it('finds every reference once: volumes, projected sources, env valueFrom, envFrom, init containers', () => {
    expect(configRefs(template).map((r) => `${r.kind}/${r.name}`)).toEqual([
      'configmap/vol-cm',
      'secret/vol-secret',
      'configmap/proj-cm',
      'secret/proj-secret',
      'configmap/env-cm',
      'secret/env-secret',
      'configmap/from-cm',
      'secret/from-secret',
      'configmap/init-cm',
    ]);
  });

  it('tracks existing configs, skips missing ones, opted-out ones and untracked Secret types', () => {
    const store: Record<string, TrackableConfig> = {
      'configmap/vol-cm': { data: { k: 'v' } },
      'configmap/env-cm': { data: { a: '1' }, annotations: { 'flagger.app/config-tracking': 'disabled' } },
      'secret/env-secret': { data: { b: 'Yg==' } },
      'secret/vol-secret': { data: { '.dockerconfigjson': 'e30=' }, type: 'kubernetes.io/dockerconfigjson' },
      'secret/proj-secret': { data: { 'tls.crt': 'eA==' }, type: 'kubernetes.io/tls' },
    };
    const tracked = trackedConfigs(template, (r) => store[`${r.kind}/${r.name}`]);
    expect(tracked).toEqual({
      'configmap/vol-cm': configChecksum({ k: 'v' }),
      'secret/env-secret': configChecksum({ b: 'Yg==' }),
      'secret/proj-secret': configChecksum({ 'tls.crt': 'eA==' }),
    });
  });

  it('compares as HasConfigChanged: a different checksum, an added or a removed config', () => {
    expect(configsChanged({}, undefined)).toBe(false);
    expect(configsChanged({ 'configmap/a': 'x' }, undefined)).toBe(true);
    expect(configsChanged({ 'configmap/a': 'x' }, { 'configmap/a': 'x' })).toBe(false);
    expect(configsChanged({ 'configmap/a': 'y' }, { 'configmap/a': 'x' })).toBe(true);
    expect(configsChanged({}, { 'configmap/a': 'x' })).toBe(true);
  });

  it('points the primary template at the -primary copies of tracked configs only', () => {
    const p = withPrimaryConfigs(template, {
      'configmap/vol-cm': 'x',
      'secret/env-secret': 'y',
      'configmap/init-cm': 'z',
    });
    expect(p.spec.volumes?.[0]?.configMap?.name).toBe('vol-cm-primary');
    expect(p.spec.volumes?.[1]?.secret?.secretName).toBe('vol-secret');
    expect(p.spec.containers[0]?.env?.[1]?.valueFrom?.secretKeyRef?.name).toBe('env-secret-primary');
    expect(p.spec.containers[0]?.env?.[0]?.valueFrom?.configMapKeyRef?.name).toBe('env-cm');
    expect(p.spec.initContainers?.[0]?.envFrom?.[0]?.configMapRef?.name).toBe('init-cm-primary');
    // the input is not changed
    expect(template.spec.volumes?.[0]?.configMap?.name).toBe('vol-cm');
  });
});

describe('scheduler: config tracking', () => {
  function tracked(): World {
    const w = new World(makeCanary());
    w.targetConfigs = { 'configmap/settings': 'aaaa' };
    w.initialize();
    w.events = [];
    return w;
  }

  it('records trackedConfigs at initialization and starts a run when only a config changed', () => {
    const w = tracked();
    expect(w.status).toMatchObject({ phase: 'Initialized', trackedConfigs: { 'configmap/settings': 'aaaa' } });
    expect(w.tick()).toEqual([]);

    w.targetConfigs = { 'configmap/settings': 'bbbb' }; // same template, new config data
    w.tick();
    expect(w.status.phase).toBe('Progressing');
    expect(w.status.trackedConfigs).toEqual({ 'configmap/settings': 'bbbb' });
    expect(w.messages()).toEqual(['New revision detected! Scaling up podinfo.test']);
    expect(w.runUntil('Succeeded')).toContain(50);
    expect(w.primaryConfigs).toEqual({ 'configmap/settings': 'bbbb' });
    // nothing more to do
    expect(w.tick()).toEqual([]);
  });

  it('restarts a running analysis when a config changes mid-run', () => {
    const w = tracked();
    w.targetConfigs = { 'configmap/settings': 'bbbb' };
    w.tick();
    w.tick();
    w.tick();
    expect(w.routes?.canary).toBe(20);
    w.targetConfigs = { 'configmap/settings': 'cccc' };
    w.tick();
    expect(w.messages().at(-1)).toBe('New revision detected! Restarting analysis for podinfo.test');
    expect(w.routes).toEqual({ primary: 100, canary: 0 });
    expect(w.status).toMatchObject({ phase: 'Progressing', trackedConfigs: { 'configmap/settings': 'cccc' } });
  });

  it('a config added to the template is a change; a rolled-back config is not retried until it changes again', () => {
    const w = tracked();
    w.targetConfigs = { 'configmap/settings': 'aaaa', 'secret/token': 'ffff' };
    w.tick();
    expect(w.status.phase).toBe('Progressing');
    w.metrics = () => [{ name: 'request-success-rate', value: 50, provider: 'mesh' }];
    w.runUntil('Failed');
    expect(w.status.trackedConfigs).toEqual({ 'configmap/settings': 'aaaa', 'secret/token': 'ffff' });
    expect(w.primaryConfigs).toEqual({ 'configmap/settings': 'aaaa' });
    expect(w.tick()).toEqual([]);
    expect(w.status.phase).toBe('Failed');
    w.targetConfigs = { 'configmap/settings': 'aaaa', 'secret/token': 'eeee' };
    w.tick();
    expect(w.status.phase).toBe('Progressing');
  });

  it('a manual retry re-runs a failed config-only revision', () => {
    const w = tracked();
    w.targetConfigs = { 'configmap/settings': 'bbbb' };
    w.tick();
    w.metrics = () => [{ name: 'request-success-rate', value: 50, provider: 'mesh' }];
    w.runUntil('Failed');
    w.metrics = () => undefined;
    w.canary = {
      ...w.canary,
      metadata: { ...w.canary.metadata, annotations: { 'weir.dev/action': 'retry@1' } },
    };
    w.tick();
    expect(w.status.phase).toBe('Progressing');
    expect((w.status as { manualAction?: { result: string } }).manualAction?.result).toBe('Applied');
  });

  it('an adapter that does not track configs changes nothing', () => {
    const w = new World(makeCanary());
    w.initialize();
    expect(w.status.trackedConfigs).toBeUndefined();
    expect(w.tick()).toEqual([]);
  });
});
