import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatResourceError, type Canary, type Service } from '../../engine/resources/index.js';
import { LocalStore } from '../../controlplane/store/local-store.js';
import { silentLogger, type Logger } from '../../engine/logger.js';
import type { WatchEvent } from '../../controlplane/store/resource-store.js';
import { sleep, tempDir, waitFor } from './helpers.js';

const service = (name: string, port = 80, ns = 'test') => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  selector:
    app: ${name}
  ports:
    - name: http
      port: ${port}
`;

const canary = (stepWeight: string | number = 10) => `apiVersion: flagger.app/v1beta1
kind: Canary
metadata:
  name: podinfo
  namespace: test
spec:
  targetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: podinfo
  service:
    port: 9898
  analysis:
    interval: 2s
    threshold: 3
    maxWeight: 50
    stepWeight: ${stepWeight}
`;

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function folder(): Promise<string> {
  const t = await tempDir('weir-store-');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function open(dir: string, opts: { watch?: boolean; stateDir?: string; logger?: Logger } = {}) {
  const store = await LocalStore.open({ dir, watch: opts.watch ?? false, rescanIntervalMs: 300, ...opts });
  cleanups.push(() => store.close());
  return store;
}

const names = (store: LocalStore, kind: string) => store.list(kind).map((o) => o.metadata.name);

describe('LocalStore: reading the folder', () => {
  it('loads every document of every manifest file, recursively, skipping dotfiles and the state dir', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'services.yaml'), `${service('a')}---\n${service('b')}\n---\n`);
    await mkdir(join(dir, 'nested', 'deeper'), { recursive: true });
    await writeFile(join(dir, 'nested', 'deeper', 'c.yml'), service('c'));
    await writeFile(
      join(dir, 'nested', 'd.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'd', namespace: 'test' },
        spec: { ports: [{ port: 81 }] },
      }),
    );
    await writeFile(join(dir, 'canary.yaml'), canary());
    await writeFile(join(dir, '.hidden.yaml'), service('hidden'));
    await writeFile(join(dir, 'notes.txt'), 'not a manifest');
    await mkdir(join(dir, '.weir'), { recursive: true });
    await writeFile(join(dir, '.weir', 'stray.yaml'), service('stray'));

    const store = await open(dir);
    expect(names(store, 'Service')).toEqual(['a', 'b', 'c', 'd']);
    expect(store.get<Service>('Service', 'test', 'd')?.spec.ports[0]?.port).toBe(81);
    expect(store.get<Canary>('Canary', 'test', 'podinfo')?.spec.analysis?.stepWeight).toBe(10);
    expect(store.files()).toEqual(['canary.yaml', 'nested/d.json', 'nested/deeper/c.yml', 'services.yaml']);
    expect(store.rejected()).toEqual([]);
    expect(store.ownerOf('Service', 'test', 'c')).toBe('file:nested/deeper/c.yml');
  });

  it('follows files being added, changed and deleted', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'a.yaml'), service('a'));
    const store = await open(dir, { watch: true });
    const events: WatchEvent[] = [];
    store.watch((e) => events.push(e));

    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'b.yaml'), service('b'));
    await waitFor(() => store.get('Service', 'test', 'b'), 'the added file to be read', 4000);

    await writeFile(join(dir, 'a.yaml'), service('a', 8080));
    await waitFor(
      () => store.get<Service>('Service', 'test', 'a')?.spec.ports[0]?.port === 8080,
      'the changed file to be re-applied',
      4000,
    );

    await rm(join(dir, 'sub', 'b.yaml'));
    await waitFor(() => !store.get('Service', 'test', 'b'), 'the deleted file to remove its objects', 4000);

    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED b', 'MODIFIED a', 'DELETED b']);
  });

  it('deletes objects dropped from an edited file and keeps status across re-reads', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'svc.yaml'), `${service('a')}---\n${service('b')}`);
    const store = await open(dir);
    await store.patchStatus('Service', 'test', 'a', { loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } });
    const uid = store.get('Service', 'test', 'a')?.metadata.uid;

    await writeFile(join(dir, 'svc.yaml'), service('a', 8080));
    await store.rescan();
    expect(names(store, 'Service')).toEqual(['a']);
    const a = store.get<Service>('Service', 'test', 'a');
    expect(a?.spec.ports[0]?.port).toBe(8080);
    expect(a?.status).toEqual({ loadBalancer: { ingress: [{ ip: '127.0.0.1' }] } });
    expect(a?.metadata.uid).toBe(uid);
    expect(a?.metadata.generation).toBe(2);
  });

  it('rejects a bad file as a whole, keeps its last good objects, and recovers when it is fixed', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'canary.yaml'), `${canary(10)}---\n${service('extra')}`);
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (msg) => void warnings.push(msg) };
    const store = await open(dir, { watch: true, logger });
    const events: WatchEvent[] = [];
    store.watch((e) => events.push(e));

    // the first doc is invalid, the second one drops "extra": nothing of this file may change
    await writeFile(join(dir, 'canary.yaml'), `${canary('"ten"')}---\n${service('other')}`);
    await waitFor(() => store.rejected().length > 0, 'the bad file to be rejected', 4000);
    expect(store.rejected().map(formatResourceError)).toEqual([
      'canary.yaml[1] spec.analysis.stepWeight: expected a number, got "ten"',
    ]);
    expect(warnings.some((w) => w.includes('canary.yaml[1] spec.analysis.stepWeight'))).toBe(true);
    expect(store.get<Canary>('Canary', 'test', 'podinfo')?.spec.analysis?.stepWeight).toBe(10);
    expect(names(store, 'Service')).toEqual(['extra']);
    expect(events).toEqual([]);

    // a YAML syntax error is named too
    await writeFile(join(dir, 'canary.yaml'), 'kind: [unclosed\n');
    await waitFor(() => store.rejected()[0]?.message.startsWith('YAML'), 'the YAML error to be reported', 4000);
    expect(formatResourceError(store.rejected()[0]!)).toMatch(/^canary\.yaml\[1\]: YAML/);

    await writeFile(join(dir, 'canary.yaml'), `${canary(20)}---\n${service('other')}`);
    await waitFor(() => store.rejected().length === 0, 'the fixed file to clear its errors', 4000);
    expect(store.get<Canary>('Canary', 'test', 'podinfo')?.spec.analysis?.stepWeight).toBe(20);
    expect(names(store, 'Service')).toEqual(['other']);
  });
});

describe('LocalStore: the state directory', () => {
  it('keeps applied objects and statuses across a restart, but not ephemeral ones', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'svc.yaml'), service('podinfo', 9898));
    let store = await LocalStore.open({ dir, watch: false });
    await store.apply(
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'podinfo', namespace: 'test' },
        spec: { rules: [{ backendRefs: [{ name: 'podinfo-primary', port: 9898, weight: 90 }] }] },
      },
      { manager: 'flagger' },
    );
    await store.patchStatus('Service', 'test', 'podinfo', { note: 'kept' });
    await store.apply(
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p-1', namespace: 'test' } },
      { ephemeral: true, manager: 'runtime' },
    );
    await store.setState('controller/podinfo', { lastCheck: 3 });
    const generation = store.get('HTTPRoute', 'test', 'podinfo')?.metadata.generation;
    await store.close();

    store = await open(dir);
    expect(store.get('HTTPRoute', 'test', 'podinfo')?.metadata.generation).toBe(generation);
    expect(store.ownerOf('HTTPRoute', 'test', 'podinfo')).toBe('flagger');
    expect(store.get('Service', 'test', 'podinfo')?.status).toEqual({ note: 'kept' });
    expect(store.list('Pod')).toEqual([]);
    expect(store.getState('controller/podinfo')).toEqual({ lastCheck: 3 });
    expect(store.getState('missing')).toBeUndefined();
  });

  it('lets `apply` override an unchanged file across a restart, and a changed file override `apply`', async () => {
    const dir = await folder();
    await writeFile(join(dir, 'svc.yaml'), `${service('a', 80)}---\n${service('b', 80)}`);
    let store = await LocalStore.open({ dir, watch: false });
    const a = store.get<Service>('Service', 'test', 'a')!;
    await store.apply({ ...a, spec: { ...a.spec, ports: [{ name: 'http', port: 81, protocol: 'TCP' }] } });
    await store.patchStatus('Service', 'test', 'a', { seen: true });
    await store.close();

    store = await LocalStore.open({ dir, watch: false });
    expect(store.get<Service>('Service', 'test', 'a')?.spec.ports[0]?.port).toBe(81);
    await store.close();

    // the file changes while Weir is down: only the objects whose content changed are re-applied
    await writeFile(join(dir, 'svc.yaml'), `${service('a', 82)}---\n${service('b', 80)}---\n${service('c', 80)}`);
    store = await LocalStore.open({ dir, watch: false });
    expect(store.get<Service>('Service', 'test', 'a')?.spec.ports[0]?.port).toBe(82);
    expect(store.get('Service', 'test', 'a')?.status).toEqual({ seen: true });
    expect(names(store, 'Service')).toEqual(['a', 'b', 'c']);
    await store.close();

    // the file is deleted while Weir is down: its objects go
    await rm(join(dir, 'svc.yaml'));
    store = await open(dir);
    expect(names(store, 'Service')).toEqual([]);
  });

  it('uses a configured state dir and deletes persisted objects deleted through the API', async () => {
    const dir = await folder();
    const stateDir = join(await folder(), 'state');
    let store = await LocalStore.open({ dir, stateDir, watch: false });
    await store.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'x', namespace: 'default' },
      spec: { ports: [{ port: 80 }] },
    });
    expect((await stat(join(stateDir, 'objects', 'Service', 'default', 'x.json'))).isFile()).toBe(true);
    expect(await store.delete('Service', 'default', 'x')).toBe(true);
    await store.close();
    store = await open(dir, { stateDir });
    expect(store.list('Service')).toEqual([]);
  });

  it('ignores a temporary file left by a crash mid-write', async () => {
    const dir = await folder();
    let store = await LocalStore.open({ dir, watch: false });
    await store.setState('k', { v: 1 });
    await store.close();
    const kvDir = join(dir, '.weir', 'kv');
    const objDir = join(dir, '.weir', 'objects', 'Service', 'default');
    await mkdir(objDir, { recursive: true });
    await writeFile(join(kvDir, '.k.json.1234.abcd.tmp'), '{"v": 2, "torn');
    await writeFile(join(objDir, '.x.json.1234.abcd.tmp'), '{"owner":"user","obj');

    store = await open(dir);
    expect(store.getState('k')).toEqual({ v: 1 });
    expect(store.list('Service')).toEqual([]);
    expect(await readdir(kvDir)).toEqual(['k.json']);
  });

  describe('a writer killed with SIGKILL', () => {
    let child: ChildProcess | undefined;
    afterEach(() => {
      child?.kill('SIGKILL');
      child = undefined;
    });

    it('never leaves a state file that does not parse', async () => {
      const dir = await folder();
      const stateDir = join(dir, '.weir');
      const root = resolve(import.meta.dirname, '../..');
      child = spawn(
        process.execPath,
        ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'state-writer.ts'), dir, stateDir],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const proc = child;
      const exited = new Promise((r) => proc.once('exit', r));
      let stderr = '';
      proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the writer did not start in 20 s: ${stderr}`)), 20_000);
        proc.stdout?.on('data', (d: Buffer) => {
          if (d.toString().includes('ready')) {
            clearTimeout(timer);
            resolve();
          }
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`the writer exited with ${code}: ${stderr}`));
        });
      });
      await sleep(400 + Math.random() * 300);
      // it must still be writing when it is killed
      expect(proc.exitCode, stderr).toBeNull();
      proc.kill('SIGKILL');
      await exited;

      const files: string[] = [];
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true })) {
          if (e.isDirectory()) await walk(join(d, e.name));
          else if (e.name.endsWith('.json')) files.push(join(d, e.name));
        }
      };
      await walk(stateDir);
      expect(files.length).toBeGreaterThanOrEqual(2);
      for (const f of files) {
        const text = await readFile(f, 'utf8');
        expect(() => JSON.parse(text) as unknown, f).not.toThrow();
      }

      const store = await open(dir);
      const counter = store.getState<{ n: number }>('counter');
      expect(counter?.n).toBeGreaterThan(1);
      expect(Number(store.get('Service', 'default', 'svc')?.metadata.annotations?.n)).toBeGreaterThan(1);
    });
  });
});
