import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryManifests } from '../e2e/canary-fixtures.js';
import { eventually, freePort, startWeirUp, type WeirUp } from '../support/weir-process.js';

/** the kubectl on PATH (CI installs Debian's), or $KUBECTL */
const KUBECTL = process.env.KUBECTL ?? 'kubectl';

/** What real manifests carry next to the kinds Weir acts on: applied whole with them. */
const companions = `apiVersion: v1
kind: Namespace
metadata: { name: test }
---
apiVersion: v1
kind: ServiceAccount
metadata: { name: podinfo, namespace: test }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: podinfo-config, namespace: test }
data: { greeting: hello }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: podinfo, namespace: test }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  minReplicas: 1
  maxReplicas: 4
  metrics: [{ type: Resource, resource: { name: cpu, target: { type: Utilization, averageUtilization: 80 } } }]
---
`;

describe('kubectl against weir up', () => {
  let dir: string;
  let scratch: string;
  let up: WeirUp | undefined;
  let kubeconfig: string;
  const transcript: string[] = [];

  const kubectl = (args: string[], timeoutMs = 30_000): Promise<{ code: number; out: string }> =>
    new Promise((resolve) => {
      execFile(
        KUBECTL,
        args,
        { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout: timeoutMs },
        (err, stdout, stderr) => {
          const out = `${stdout}${stderr}`.trimEnd();
          transcript.push(`$ kubectl ${args.join(' ')}\n${out}`);
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out });
        },
      );
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-kubectl-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-kubectl-files-'));
    const port = await freePort();
    await writeFile(
      join(dir, 'app.yaml'),
      companions + canaryManifests({ port, analysis: { interval: '1s', stepWeight: 50, maxWeight: 50 } }),
    );
    up = await startWeirUp([dir, '--state-dir', join(dir, 'state')]);
    kubeconfig = await eventually('weir up to print the kubeconfig', 10_000, async () =>
      Promise.resolve(/export KUBECONFIG=(\S+)/.exec(up!.output())?.[1]),
    );
  }, 60_000);

  afterAll(async () => {
    await up?.stop();
    if (process.env.WEIR_KUBECTL_TRANSCRIPT)
      await writeFile(process.env.WEIR_KUBECTL_TRANSCRIPT, transcript.join('\n\n') + '\n');
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('runs a session: wait, get -A -w, get with printer columns, describe, apply (client and server side), patch, label, scale, delete', async () => {
    // a watch across the whole session, stopped at its end
    const watch = spawn(KUBECTL, ['get', 'canaries', '-A', '-w'], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let watched = '';
    watch.stdout.on('data', (d: Buffer) => (watched += d.toString()));
    watch.stderr.on('data', (d: Buffer) => (watched += d.toString()));
    try {
      const wait = await kubectl(
        ['wait', 'canary/podinfo', '-n', 'test', '--for=condition=Promoted', '--timeout=60s'],
        70_000,
      );
      expect(wait.out).toBe('canary.flagger.app/podinfo condition met');
      expect(wait.code).toBe(0);

      const get = await kubectl(['get', 'canaries.flagger.app', '-A']);
      expect(get.out.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+STATUS\s+WEIGHT\s+LASTTRANSITIONTIME$/);
      expect(get.out).toMatch(/test\s+podinfo\s+Initialized\s+0\s+\d{4}-/);

      const wide = await kubectl(['get', 'canary', 'podinfo', '-n', 'test', '-o', 'wide']);
      expect(wide.out.split('\n')[0]).toMatch(
        /STATUS\s+WEIGHT\s+SUSPENDED\s+FAILEDCHECKS\s+INTERVAL\s+MIRROR\s+STEPWEIGHT\s+STEPWEIGHTS\s+MAXWEIGHT\s+LASTTRANSITIONTIME/,
      );

      const others = await kubectl(['get', 'namespaces,serviceaccounts,configmaps,hpa', '-n', 'test']);
      expect(others.code).toBe(0);
      for (const name of [
        'namespace/test',
        'serviceaccount/podinfo',
        'configmap/podinfo-config',
        'horizontalpodautoscaler.autoscaling/podinfo',
      ])
        expect(others.out).toContain(name);

      const describe = await kubectl(['describe', 'canary', 'podinfo', '-n', 'test']);
      expect(describe.code).toBe(0);
      expect(describe.out).toMatch(/^Name:\s+podinfo$/m);
      expect(describe.out).toMatch(/Phase:\s+Initialized/);

      const extra = join(scratch, 'extra.yaml');
      await writeFile(
        extra,
        'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra, namespace: test }\ndata: { a: "1" }\n',
      );
      expect((await kubectl(['apply', '-f', extra])).out).toBe('configmap/extra created');
      await writeFile(
        extra,
        'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: extra, namespace: test }\ndata: { a: "2" }\n',
      );
      expect((await kubectl(['apply', '-f', extra])).out).toBe('configmap/extra configured');
      expect((await kubectl(['apply', '-f', extra])).out).toBe('configmap/extra unchanged');

      const ssa = join(scratch, 'ssa.yaml');
      await writeFile(
        ssa,
        'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ssa, namespace: test }\ndata: { b: "1" }\n',
      );
      expect((await kubectl(['apply', '--server-side', '-f', ssa])).out).toBe('configmap/ssa serverside-applied');
      const conflict = await kubectl(['apply', '--server-side', '--field-manager', 'someone-else', '-f', ssa]);
      expect(conflict.code).toBe(0); // same values: shared ownership, no conflict
      await writeFile(
        ssa,
        'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ssa, namespace: test }\ndata: { b: "2" }\n',
      );
      const clash = await kubectl(['apply', '--server-side', '--field-manager', 'someone-else', '-f', ssa]);
      expect(clash.code).not.toBe(0);
      expect(clash.out).toContain('conflict with "kubectl"');
      expect(
        (await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager', 'someone-else', '-f', ssa]))
          .code,
      ).toBe(0);

      const patched = await kubectl([
        'patch',
        'canary',
        'podinfo',
        '-n',
        'test',
        '--type',
        'merge',
        '-p',
        '{"spec":{"analysis":{"threshold":4}}}',
      ]);
      expect(patched.out).toBe('canary.flagger.app/podinfo patched');
      const threshold = await kubectl([
        'get',
        'canary',
        'podinfo',
        '-n',
        'test',
        '-o',
        'jsonpath={.spec.analysis.threshold} {.metadata.generation}',
      ]);
      expect(threshold.out).toBe('4 2');

      expect((await kubectl(['label', 'canary', 'podinfo', '-n', 'test', 'team=web'])).out).toBe(
        'canary.flagger.app/podinfo labeled',
      );
      const labelled = await kubectl(['get', 'canaries', '-A', '-l', 'team=web', '-o', 'name']);
      expect(labelled.out).toBe('canary.flagger.app/podinfo');

      expect((await kubectl(['scale', 'deployment', 'podinfo-primary', '-n', 'test', '--replicas=2'])).out).toBe(
        'deployment.apps/podinfo-primary scaled',
      );
      const replicas = await kubectl([
        'get',
        'deployment',
        'podinfo-primary',
        '-n',
        'test',
        '-o',
        'jsonpath={.spec.replicas}',
      ]);
      expect(replicas.out).toBe('2');

      expect((await kubectl(['delete', 'configmap', 'extra', '-n', 'test'])).out).toBe('configmap "extra" deleted');
      const gone = await kubectl(['get', 'configmap', 'extra', '-n', 'test']);
      expect(gone.code).not.toBe(0);
      expect(gone.out).toBe('Error from server (NotFound): configmaps "extra" not found');
    } finally {
      watch.kill('SIGTERM');
    }
    transcript.push(`$ kubectl get canaries -A -w   # running through the session\n${watched.trimEnd()}`);
    const lines = watched.split('\n').filter((l) => /^test\s+podinfo\s/.test(l));
    // the list, then at least the patch and the label as MODIFIED events
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(watched.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+STATUS\s+WEIGHT\s+LASTTRANSITIONTIME/);
  }, 180_000);
});
