import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryManifests } from '../e2e/canary-fixtures.js';
import { eventually, freePort, runWeir, startWeirUp, WEIR_BIN, type WeirUp } from '../support/weir-process.js';

/** a `weir ...` that runs until interrupted (-w, -f): its output so far, and SIGINT with a bounded wait */
function startWeir(args: string[]) {
  const child = spawn(process.execPath, [WEIR_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    /** SIGINT, then the exit code (SIGKILL and a failure after 10 s) */
    async interrupt(): Promise<number | null> {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

const others = `apiVersion: apps/v1
kind: Deployment
metadata: { name: crasher, namespace: ops }
spec:
  replicas: 1
  selector: { matchLabels: { app: crasher } }
  template:
    metadata: { labels: { app: crasher } }
    spec:
      containers:
        - name: app
          image: example/crasher:1
          command: [node]
          args: [/nonexistent/weir-test/server.js]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: noconfig, namespace: ops }
spec:
  replicas: 1
  selector: { matchLabels: { app: noconfig } }
  template:
    metadata: { labels: { app: noconfig } }
    spec:
      containers:
        - name: app
          image: example/noconfig:1
          command: [node]
          args: [-e, "setInterval(() => {}, 1000)"]
          env: [{ name: X, valueFrom: { configMapKeyRef: { name: missing, key: x } } }]
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: default, labels: { team: web } }
data: { a: "1" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: ops-settings, namespace: ops }
data: { a: "1" }
`;

// What an operator types against a running `weir up`: get (namespaces, selectors, formats, columns, -w),
// describe, gate, logs and delete, with their exit codes.
describe('the operator CLI over a running weir up', () => {
  let dir: string;
  let scratch: string;
  let up: WeirUp | undefined;
  let port: number;
  let ltPort: number;
  const weir = (...args: string[]) => runWeir([...args, '--api', up!.api]);
  const analysis = () => ({
    stepWeight: 20,
    maxWeight: 40,
    webhooks: [{ name: 'approval', type: 'confirm-rollout', url: `http://127.0.0.1:${ltPort}/gate/check` }],
  });
  const applyVersion = async (version: string) => {
    const file = join(scratch, `${version}.yaml`);
    await writeFile(file, canaryManifests({ port, analysis: analysis(), version }).split('---')[0]!);
    const r = await weir('apply', '-f', file);
    expect(r.code, r.stderr).toBe(0);
  };
  const phase = async () => {
    const r = await weir('get', 'canary', 'podinfo', '-n', 'test', '-o', 'json');
    return (JSON.parse(r.stdout) as { status?: { phase?: string; canaryWeight?: number } }).status ?? {};
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-operator-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-operator-apply-'));
    port = await freePort();
    ltPort = await freePort();
    await writeFile(join(dir, 'podinfo.yaml'), canaryManifests({ port, analysis: analysis() }));
    await writeFile(join(dir, 'others.yaml'), others);
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state'), '--loadtester-port', String(ltPort)]);
    const init = await runWeir(
      ['wait', 'canary', 'podinfo', '-n', 'test', '--for=promoted', '--timeout', '60s', '--api', up.api],
      {},
      70_000,
    );
    expect(init.code, init.stderr).toBe(0);
  }, 90_000);

  afterAll(async () => {
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  describe('weir get', () => {
    it('reads the current namespace, default, unless -n or -A says otherwise', async () => {
      const none = await weir('get', 'canaries');
      expect(none.code).toBe(0);
      expect(none.stdout).toBe('');
      expect(none.stderr).toBe('No resources found in default namespace.\n');

      const cms = await weir('get', 'configmaps');
      expect(cms.stdout).toMatch(/^NAME\s+AGE\nsettings\s+\d+s\n$/);
      const all = await weir('get', 'configmaps', '-A');
      expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+AGE$/);
      expect(all.stdout).toMatch(/^default\s+settings\s+/m);
      expect(all.stdout).toMatch(/^ops\s+ops-settings\s+/m);
    });

    it('prints Canaries with strategy, phase, weight, failed checks over the threshold and age', async () => {
      const r = await weir('get', 'canaries', '-n', 'test');
      expect(r.code, r.stderr).toBe(0);
      const [head, row, ...rest] = r.stdout.trimEnd().split('\n');
      expect(head).toMatch(/^NAME\s+STRATEGY\s+STATUS\s+WEIGHT\s+FAILEDCHECKS\s+LASTTRANSITIONTIME\s+AGE$/);
      expect(row).toMatch(/^podinfo\s+canary\s+Initialized\s+0\s+0\/3\s+\d{4}-\d\d-\d\dT\S+Z\s+\d+s$/);
      expect(rest).toEqual([]);

      const wide = await weir('get', 'canary', 'podinfo', '-n', 'test', '-o', 'wide');
      expect(wide.stdout.split('\n')[0]).toMatch(
        /AGE\s+INTERVAL\s+MAXWEIGHT\s+PRIMARY-SR\s+CANARY-SR\s+PRIMARY-P99\s+CANARY-P99$/,
      );
      expect(wide.stdout.split('\n')[1]).toMatch(/\s1s\s+40\s+(-|\d+\.\d%)\s+(-|\d+\.\d%)\s+(-|\d+ms)\s+(-|\d+ms)$/);
    });

    it('prints names as kind.group/name, and json and yaml lists or objects', async () => {
      expect((await weir('get', 'canaries', '-A', '-o', 'name')).stdout).toBe('canary.flagger.app/podinfo\n');
      const deploys = await weir('get', 'deploy', '-n', 'test', '-o', 'name');
      expect(deploys.stdout.split('\n')).toEqual(
        expect.arrayContaining(['deployment.apps/podinfo', 'deployment.apps/podinfo-primary']),
      );
      const pods = await weir('get', 'pods', '-n', 'test', '-o', 'name');
      expect(pods.stdout).toMatch(/^pod\/podinfo-primary-[a-z0-9]+-[a-z0-9]+$/m);

      const list = JSON.parse((await weir('get', 'canaries', '-n', 'test', '-o', 'json')).stdout) as {
        kind: string;
        items: Array<{ metadata: { name: string } }>;
      };
      expect(list.kind).toBe('List');
      expect(list.items.map((i) => i.metadata.name)).toEqual(['podinfo']);
      const one = await weir('get', 'canary', 'podinfo', '-n', 'test', '-o', 'yaml');
      expect(one.stdout).toMatch(/^apiVersion: flagger\.app\/v1beta1\nkind: Canary\n/);
    });

    it('filters lists with -l label selectors', async () => {
      expect((await weir('get', 'cm', '-A', '-l', 'team=web', '-o', 'name')).stdout).toBe('configmap/settings\n');
      expect((await weir('get', 'cm', '-A', '-l', 'team!=web', '-o', 'name')).stdout).toContain(
        'configmap/ops-settings',
      );
      expect((await weir('get', 'cm', '-A', '-l', 'team!=web', '-o', 'name')).stdout).not.toContain(
        'configmap/settings\n',
      );
    });

    it('shows why a pod is not running: READY, STATUS and RESTARTS as kubectl prints them', async () => {
      const rows = await eventually('the crashing pod to restart', 30_000, async () => {
        const r = await weir('get', 'pods', '-n', 'ops');
        return /CrashLoopBackOff\s+[1-9]\d* \(\d+s ago\)/.test(r.stdout) ? r.stdout : undefined;
      });
      expect(rows.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
      // the app's container and its weir-proxy sidecar container (ready: 1 of 2), as a Linkerd-injected pod
      expect(rows).toMatch(/^crasher-\S+\s+1\/2\s+CrashLoopBackOff\s+\d+ \(\d+s ago\)\s+\d+s$/m);
      // never started: no restarts counted, as the kubelet
      expect(rows).toMatch(/^noconfig-\S+\s+1\/2\s+CreateContainerConfigError\s+0\s+\d+s$/m);
      const ok = await weir('get', 'pods', '-n', 'test');
      expect(ok.stdout).toMatch(/^podinfo-primary-\S+\s+2\/2\s+Running\s+0\s+\d+s$/m);
    });

    it('prints Deployments with READY, UP-TO-DATE and AVAILABLE', async () => {
      const r = await weir('get', 'deployments', '-n', 'test');
      expect(r.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
      expect(r.stdout).toMatch(/^podinfo-primary\s+1\/1\s+1\s+1\s+\d+s$/m);
      expect(r.stdout).toMatch(/^podinfo\s+0\/0\s+0\s+0\s+\d+s$/m);
    });

    it('exits 1 for an object that does not exist and 2 for a usage error', async () => {
      const missing = await weir('get', 'canary', 'nope', '-n', 'test');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('Error from server (NotFound): canaries.flagger.app "nope" not found\n');
      for (const bad of [
        ['get', 'widgets'],
        ['get', 'canaries', '-o', 'table'],
        ['get', 'canaries', '-l', 'a b'],
        ['get', 'canaries', '--frobnicate'],
      ]) {
        const r = await weir(...bad);
        expect(r.code, bad.join(' ')).toBe(2);
        expect(r.stderr, bad.join(' ')).not.toBe('');
      }
    });
  });

  describe('a rollout behind a manual gate, watched with get -w', () => {
    it('get -w prints one line per change; the gate holds the rollout until weir gate open', async () => {
      const watch = startWeir(['get', 'canaries', '-n', 'test', '-w', '--api', up!.api]);
      try {
        await eventually('the watch to print the table', 20_000, async () =>
          /^podinfo\s+canary\s+Initialized/m.test(watch.stdout()) ? true : undefined,
        );
        expect((await weir('gate', 'check', 'podinfo', '-n', 'test')).code).toBe(1);
        await applyVersion('2.0.0');
        // the confirm-rollout gate is closed: the run waits, and says so
        await eventually('the run to wait for approval', 30_000, async () =>
          /^podinfo\s+canary\s+Waiting\s/m.test(watch.stdout()) ? true : undefined,
        );
        const closed = await weir('gate', 'check', 'podinfo', '-n', 'test');
        expect(closed.code).toBe(1);
        expect(closed.stdout).toBe('gate podinfo.test is closed\n');
        expect(await phase()).toMatchObject({ phase: 'Waiting', canaryWeight: 0 });

        const opened = await weir('gate', 'open', 'podinfo', '-n', 'test');
        expect(opened.code, opened.stderr).toBe(0);
        expect(opened.stdout).toBe('gate podinfo.test opened\n');
        const open = await weir('gate', 'check', 'podinfo', '-n', 'test');
        expect(open.code).toBe(0);
        expect(open.stdout).toBe('gate podinfo.test is open\n');
        const done = await runWeir(
          ['wait', 'canary', 'podinfo', '-n', 'test', '--for=promoted', '--timeout', '60s', '--api', up!.api],
          {},
          70_000,
        );
        expect(done.code, done.stderr).toBe(0);
        await eventually('the watch to see the promotion', 10_000, async () =>
          /^podinfo\s+canary\s+Succeeded\s/m.test(watch.stdout()) ? true : undefined,
        );
        const lines = watch.stdout().trimEnd().split('\n');
        expect(lines[0]).toMatch(/^NAME\s+STRATEGY\s+STATUS/);
        expect(lines.filter((l) => /^NAME\s/.test(l))).toHaveLength(1); // one header, then rows
        expect(lines.some((l) => /^podinfo\s+canary\s+Progressing\s+20\s/.test(l))).toBe(true);
        expect(lines.some((l) => /^podinfo\s+canary\s+Progressing\s+40\s/.test(l))).toBe(true);
        // consecutive lines differ: a change that shows nothing new prints nothing
        expect(lines.every((l, i) => i === 0 || l !== lines[i - 1])).toBe(true);
        expect(await watch.interrupt()).toBe(0);
      } finally {
        watch.kill();
      }
    }, 120_000);

    it('weir gate: close, the rollback gate, and its usage errors', async () => {
      expect((await weir('gate', 'close', 'podinfo', '-n', 'test')).stdout).toBe('gate podinfo.test closed\n');
      expect((await weir('gate', 'check', 'podinfo', '-n', 'test')).code).toBe(1);
      const rollback = await weir('gate', 'check', 'podinfo', '-n', 'test', '--rollback');
      expect(rollback.code).toBe(1);
      expect(rollback.stdout).toBe('rollback gate podinfo.test is closed\n');
      expect((await weir('gate', 'wave', 'podinfo')).code).toBe(2);
      const unreachable = await weir('gate', 'check', 'podinfo', '--loadtester', 'http://127.0.0.1:1');
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain('cannot reach the loadtester');
    });
  });

  describe('weir describe canary', () => {
    it('gives the spec in brief, the status and the events of the runs as a timeline', async () => {
      const r = await weir('describe', 'canary', 'podinfo', '-n', 'test');
      expect(r.code, r.stderr).toBe(0);
      const out = r.stdout;
      expect(out).toMatch(/^Name:\s+podinfo$/m);
      expect(out).toMatch(/^Strategy:\s+canary$/m);
      expect(out).toMatch(/^Target:\s+Deployment\/podinfo \(primary podinfo-primary\)$/m);
      expect(out).toMatch(new RegExp(`^Service:\\s+podinfo port ${port} -> 9898$`, 'm'));
      expect(out).toMatch(/^Analysis:\s+interval 1s, threshold 3, stepWeight 20, maxWeight 40$/m);
      expect(out).toMatch(
        new RegExp(`^  approval\\s+confirm-rollout\\s+http://127\\.0\\.0\\.1:${ltPort}/gate/check$`, 'm'),
      );
      expect(out).toMatch(/^ {2}Phase:\s+Succeeded$/m);
      expect(out).toMatch(/^ {2}Promoted\s+True\s+Succeeded\s+/m);
      expect(out).not.toMatch(/^Failure:/m);
      const events = out.slice(out.indexOf('\nEvents:\n'));
      const order = [
        // Flagger asks the confirm-rollout hooks before it scales the canary up
        'Halt podinfo.test advancement waiting for approval approval',
        'New revision detected! Scaling up podinfo.test',
        'Advance podinfo.test canary weight 20',
        'Promotion completed! Scaling down podinfo.test',
      ].map((m) => events.indexOf(m));
      expect(order.every((i) => i > 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    });

    it('says in one line why a run failed', async () => {
      // the gate is closed again: the new run waits for approval, and is aborted there
      await applyVersion('3.0.0');
      await eventually('the run to wait for approval', 30_000, async () =>
        (await phase()).phase === 'Waiting' ? true : undefined,
      );
      expect((await weir('abort', 'podinfo', '-n', 'test')).code).toBe(0);
      const failed = await runWeir(
        ['wait', 'canary', 'podinfo', '-n', 'test', '--for=failed', '--timeout', '30s', '--api', up!.api],
        {},
        40_000,
      );
      expect(failed.code, failed.stderr).toBe(0);
      const r = await weir('describe', 'canary', 'podinfo', '-n', 'test');
      expect(r.stdout).toMatch(/^ {2}Phase:\s+Failed$/m);
      expect(r.stdout).toMatch(/^Failure: aborted manually$/m);
    }, 90_000);

    it('exits 1 for a Canary that does not exist and 2 for another kind', async () => {
      const missing = await weir('describe', 'canary', 'nope', '-n', 'test');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('canaries.flagger.app "nope" not found');
      expect((await weir('describe', 'service', 'podinfo', '-n', 'test')).code).toBe(2);
    });
  });

  describe('weir logs', () => {
    it("prints a pod's output, picking a pod for deploy/NAME, with --tail", async () => {
      const r = await weir('logs', 'deploy/crasher', '-n', 'ops');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Cannot find module');
      expect(r.stdout).toMatch(/--- exited with code 1$/m);
      const pod = (await weir('get', 'pods', '-n', 'test', '-o', 'name')).stdout.trim().split('\n')[0]!.slice(4);
      const tail = await weir('logs', pod, '-n', 'test', '--tail', '1');
      expect(tail.code, tail.stderr).toBe(0);
      expect(tail.stdout.trimEnd().split('\n')).toHaveLength(1);
    });

    it('-f follows the output until interrupted', async () => {
      const follow = startWeir(['logs', '-f', 'deploy/crasher', '-n', 'ops', '--api', up!.api]);
      try {
        const before = await eventually('the log so far', 20_000, async () =>
          follow.stdout().includes('--- exited with code 1') ? follow.stdout().split('--- starting').length : undefined,
        );
        // the crashing process starts again after its back-off: the followed log shows the new run
        await eventually('a later run', 30_000, async () =>
          follow.stdout().split('--- starting').length > before ? true : undefined,
        );
        expect(await follow.interrupt()).toBe(0);
      } finally {
        follow.kill();
      }
    }, 60_000);

    it('exits 1 for a pod or Deployment that does not exist, 2 for another kind', async () => {
      const pod = await weir('logs', 'nope', '-n', 'test');
      expect(pod.code).toBe(1);
      expect(pod.stderr).toBe('Error from server (NotFound): pods "nope" not found\n');
      expect((await weir('logs', 'deploy/nope', '-n', 'test')).code).toBe(1);
      expect((await weir('logs', 'svc/podinfo', '-n', 'test')).code).toBe(2);
    });
  });

  describe('weir delete', () => {
    it('deletes by KIND NAME and by -f FILE, as kubectl prints it', async () => {
      const file = join(scratch, 'extra.yaml');
      await writeFile(
        file,
        `apiVersion: v1
kind: ConfigMap
metadata: { name: extra-a, namespace: test }
data: { a: "1" }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: extra-b, namespace: test }
data: { b: "2" }
`,
      );
      expect((await weir('apply', '-f', file)).code).toBe(0);
      const one = await weir('delete', 'cm', 'extra-a', '-n', 'test');
      expect(one.code, one.stderr).toBe(0);
      expect(one.stdout).toBe('configmap "extra-a" deleted\n');
      expect((await weir('get', 'cm', 'extra-a', '-n', 'test')).code).toBe(1);

      const byFile = await weir('delete', '-f', file);
      expect(byFile.code).toBe(1); // extra-a is already gone
      expect(byFile.stdout).toBe('configmap "extra-b" deleted\n');
      expect(byFile.stderr).toBe('Error from server (NotFound): configmaps "extra-a" not found\n');
      expect((await weir('delete', '-f', file, '--ignore-not-found')).code).toBe(0);
    });

    it('exits 1 for an object that does not exist and 2 for a usage error', async () => {
      const missing = await weir('delete', 'canary', 'nope', '-n', 'test');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe('Error from server (NotFound): canaries.flagger.app "nope" not found\n');
      expect((await weir('delete', 'widgets', 'x')).code).toBe(2);
      expect((await weir('delete')).code).toBe(2);
    });
  });
});
