import { rm } from 'node:fs/promises';
import type { Canary, KubeObject } from '../../engine/resources/index.js';
import { ApiClient } from '../api-client.js';
import { createLogger } from '../logger.js';
import { startMesh, type Mesh } from '../mesh.js';
import { prepareDemoFolder, withEnv, type DemoFolder } from '../demo/prepare.js';
import { startSteadyLoad, type SteadyLoad } from '../demo/load.js';
import { formatViewLine, type GoldenPair } from '../demo/view.js';

export interface DemoOptions {
  rate: number;
  keepState?: boolean;
  /** where lines go (tests capture them) */
  print?: (line: string) => void;
}

interface RolloutOutcome {
  version: string;
  phase: string;
  seconds: number;
  weights: number[];
  failedChecks: number;
  reason?: string;
  userErrors: number;
  userRequests: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(250);
  }
}

async function golden(mesh: Mesh, f: DemoFolder): Promise<GoldenPair> {
  const windowMs = 5_000;
  const [primary, canary] = await Promise.all([
    mesh.metrics.golden({ namespace: f.namespace, deployment: `${f.name}-primary`, windowMs }),
    mesh.metrics.golden({ namespace: f.namespace, deployment: f.name, windowMs }),
  ]);
  return { primary, canary };
}

/** Follow one rollout to a final phase, printing a live view line per second and each controller event. */
async function follow(
  mesh: Mesh,
  api: ApiClient,
  f: DemoFolder,
  load: SteadyLoad,
  version: string,
  print: (l: string) => void,
): Promise<RolloutOutcome> {
  const start = Date.now();
  const weights: number[] = [];
  let seenEvents = mesh.controller?.events.recent(f.namespace, f.name).length ?? 0;
  let startedProgressing = false;
  let maxFailedChecks = 0;
  let lastWarning: string | undefined;
  const errorsBefore = load.stats.errors;
  const requestsBefore = load.stats.sent;
  for (;;) {
    if (Date.now() - start > 100_000) throw new Error(`rollout of ${version} did not finish within 100s`);
    await sleep(1_000);
    const c = (await api.get('Canary', f.namespace, f.name)) as Canary | undefined;
    const phase = c?.status?.phase ?? '';
    const weight = c?.status?.canaryWeight ?? 0;
    if (phase === 'Progressing') startedProgressing = true;
    const events = mesh.controller?.events.recent(f.namespace, f.name) ?? [];
    for (const e of events.slice(seenEvents)) {
      print(`         event  ${e.type === 'Warning' ? '! ' : ''}${e.message}`);
      if (e.type === 'Warning' && e.message.startsWith('Halt')) lastWarning = e.message;
      // the weights the controller set, from its events (polling the status could miss a step)
      const advanced = / canary weight (\d+)$/.exec(e.message);
      if (advanced) weights.push(Number(advanced[1]));
    }
    maxFailedChecks = Math.max(maxFailedChecks, c?.status?.failedChecks ?? 0);
    seenEvents = events.length;
    const window = load.takeWindow();
    print(
      formatViewLine(
        (Date.now() - start) / 1000,
        phase,
        weight,
        c?.status?.failedChecks ?? 0,
        await golden(mesh, f),
        window,
      ),
    );
    if (startedProgressing && (phase === 'Succeeded' || phase === 'Failed')) {
      const promoted = c?.status?.conditions?.find((x) => x.type === 'Promoted');
      return {
        version,
        phase,
        seconds: (Date.now() - start) / 1000,
        weights,
        failedChecks: maxFailedChecks,
        reason:
          phase === 'Failed' && lastWarning
            ? `${promoted?.message ?? ''} Last failed check: ${lastWarning}`
            : promoted?.message,
        userErrors: load.stats.errors - errorsBefore,
        userRequests: load.stats.sent - requestsBefore,
      };
    }
  }
}

export async function demoCommand(opts: DemoOptions): Promise<number> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const started = Date.now();
  const folder = await prepareDemoFolder();
  print(`Weir demo: a canary rollout through real proxies on loopback (manifests in ${folder.dir})`);
  const mesh = await startMesh({ dir: folder.dir, logger: createLogger('silent'), maxGracePeriodSeconds: 2 });
  const api = new ApiClient(mesh.api.url);
  let load: SteadyLoad | undefined;
  const outcomes: RolloutOutcome[] = [];
  try {
    print(`API ${mesh.api.url}; service ${folder.namespace}/${folder.name} on 127.0.0.1:${folder.servicePort}`);
    await waitFor('the canary to initialize', 60_000, async () => {
      const c = (await api.get('Canary', folder.namespace, folder.name)) as Canary | undefined;
      return c?.status?.phase === 'Initialized' ? c : undefined;
    });
    print('canary initialized: podinfo-primary serves 100% at v1.0.0');
    load = startSteadyLoad(`http://127.0.0.1:${folder.servicePort}/`, opts.rate);
    print(`steady load: ${opts.rate} req/s through the mesh`);

    print('\n== v2.0.0: a good version, promoted step by step ==');
    await api.apply(withEnv(folder.deployment, { VERSION: '2.0.0' }) as unknown as KubeObject);
    outcomes.push(await follow(mesh, api, folder, load, '2.0.0', print));

    print('\n== v3.0.0: a faulty version (ERROR_RATE=0.5), rolled back on its success rate ==');
    await api.apply(withEnv(folder.deployment, { VERSION: '3.0.0', ERROR_RATE: '0.5' }) as unknown as KubeObject);
    outcomes.push(await follow(mesh, api, folder, load, '3.0.0', print));
  } finally {
    await load?.stop();
    await mesh.close();
    if (!opts.keepState) await rm(folder.dir, { recursive: true, force: true });
  }

  const [v2, v3] = outcomes;
  const ok = v2?.phase === 'Succeeded' && v3?.phase === 'Failed';
  print('\n== Summary ==');
  for (const o of outcomes) {
    print(
      `  v${o.version}: ${o.phase} after ${o.seconds.toFixed(1)}s; canary weights ${o.weights.join(', ') || 'none'}; ` +
        `failed checks ${o.failedChecks}; users saw ${o.userErrors} errors in ${o.userRequests} requests` +
        (o.reason ? `\n      ${o.reason}` : ''),
    );
  }
  const stats = load?.stats ?? { sent: 0, byVersion: new Map<string, { requests: number; errors: number }>() };
  const byVersion = [...stats.byVersion.entries()].map(([v, t]) => `${v}: ${t.requests} (${t.errors} errors)`);
  print(`  load: ${stats.sent} requests; answered by ${byVersion.join(', ')}`);
  print(
    `  ${ok ? 'OK: v2 promoted, v3 rolled back' : 'FAILED: expected v2 Succeeded and v3 Failed'} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return ok ? 0 : 1;
}
