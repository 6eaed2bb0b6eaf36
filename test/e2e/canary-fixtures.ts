import { spawn, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
import { SAMPLE_APP, WEIR_BIN } from '../support/weir-process.js';

/** Deployment test/podinfo running the sample app (one replica, ready on /readyz) at `version`. */
export function podinfoDeployment(version: string, progressDeadlineSeconds = 60): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: podinfo, namespace: test }
spec:
  replicas: 1
  progressDeadlineSeconds: ${progressDeadlineSeconds}
  selector: { matchLabels: { app: podinfo } }
  template:
    metadata: { labels: { app: podinfo } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: podinfod
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [{ name: VERSION, value: "${version}" }]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
`;
}

/** A Deployment running the sample app, a Service on `port`, and a Canary over them (no metrics by default). */
export function canaryManifests(opts: { port: number; analysis: Record<string, unknown>; version?: string }): string {
  const analysis = JSON.stringify({ interval: '1s', threshold: 3, ...opts.analysis });
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: podinfo, namespace: test, labels: { app: podinfo } }
spec:
  replicas: 1
  progressDeadlineSeconds: 60
  selector: { matchLabels: { app: podinfo } }
  template:
    metadata: { labels: { app: podinfo } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: podinfod
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          command: [node]
          args: [${JSON.stringify(SAMPLE_APP)}]
          env: [{ name: VERSION, value: "${opts.version ?? '1.0.0'}" }]
          ports: [{ name: http, containerPort: 9898 }]
          readinessProbe: { httpGet: { path: /readyz, port: http }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: test }
spec:
  selector: { app: podinfo }
  ports: [{ name: http, port: ${opts.port}, targetPort: http }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  provider: gatewayapi:v1
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  progressDeadlineSeconds: 60
  service:
    port: ${opts.port}
    targetPort: 9898
    gatewayRefs: [{ group: core, kind: Service, name: podinfo, port: ${opts.port} }]
  analysis: ${analysis}
`;
}

export interface CanaryState {
  phase?: string;
  canaryWeight?: number;
  failedChecks?: number;
  lastAppliedSpec?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export async function canaryStatus(api: string): Promise<CanaryState> {
  const c = await json<{ status?: CanaryState }>(`${api}/apis/flagger.app/v1beta1/namespaces/test/canaries/podinfo`);
  return c.status ?? {};
}

export async function canaryEvents(api: string): Promise<string[]> {
  const r = await json<{ items: Array<{ message: string }> }>(`${api}/weir/v1/namespaces/test/canaries/podinfo/events`);
  return r.items.map((e) => e.message);
}

/** the messages of the core v1 Events about Canary test/podinfo, at the Kubernetes path, by name (= time) */
export async function kubeEvents(api: string): Promise<string[]> {
  const r = await json<{
    items: Array<{ metadata: { name: string }; message: string; involvedObject: { kind: string; name: string } }>;
  }>(`${api}/api/v1/namespaces/test/events`);
  return r.items
    .filter((e) => e.involvedObject.kind === 'Canary' && e.involvedObject.name === 'podinfo')
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
    .map((e) => e.message);
}

/** the HTTPRoute's [primary, canary] weights */
export async function routeWeights(api: string): Promise<[number, number] | undefined> {
  const r = await json<{ spec: { rules: Array<{ backendRefs?: Array<{ name: string; weight?: number }> }> } }>(
    `${api}/apis/gateway.networking.k8s.io/v1/namespaces/test/httproutes/podinfo`,
  ).catch(() => undefined);
  const refs = r?.spec.rules[0]?.backendRefs ?? [];
  const w = (n: string) => refs.find((b) => b.name === n)?.weight;
  const p = w('podinfo-primary');
  const c = w('podinfo-canary');
  return p === undefined || c === undefined ? undefined : [p, c];
}

/** a new revision: the Deployment with another VERSION, through the API */
export async function setVersion(api: string, version: string): Promise<void> {
  const url = `${api}/apis/apps/v1/namespaces/test/deployments/podinfo`;
  // read-modify-write: a PUT with a resourceVersion another writer moved past gets 409, and is retried
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const d = (await res.json()) as {
      metadata: Record<string, unknown>;
      spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> } } };
      status?: unknown;
    };
    delete d.status;
    d.spec.template.spec.containers[0]!.env = [{ name: 'VERSION', value: version }];
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(d),
      signal: AbortSignal.timeout(5_000),
    });
    if (put.ok) return;
    if (put.status !== 409 || attempt >= 10) throw new Error(`PUT ${url}: ${put.status} ${await put.text()}`);
  }
}

export async function primaryVersion(api: string): Promise<string | undefined> {
  const d = await json<{
    spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value: string }> }> } } };
  }>(`${api}/apis/apps/v1/namespaces/test/deployments/podinfo-primary`).catch(() => undefined);
  return d?.spec.template.spec.containers[0]?.env?.find((e) => e.name === 'VERSION')?.value;
}

export interface GroupProcess {
  child: ChildProcess;
  api: string;
  output(): string;
  /** SIGKILL the whole process group: `weir up` and every process it started, as a crashed pod */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL of the group after 20 s */
  stop(): Promise<void>;
}

/**
 * `weir up` in a process group of its own (detached), so that a test can kill it together with the
 * workloads it runs, as a node or container crash would: the local runtime's children do not outlive it.
 */
export function startWeirUpGroup(args: string[], timeoutMs = 30_000): Promise<GroupProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEIR_BIN, 'up', ...args], {
      env: { ...process.env, WEIR_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let out = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      killGroup('SIGKILL');
      reject(new Error(`weir up did not print its API URL within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.on('data', (x: Buffer) => (out += x.toString()));
      resolve({
        child,
        api: m[1]!,
        output: () => out,
        async kill() {
          killGroup('SIGKILL');
          await exited;
        },
        async stop() {
          if (child.exitCode !== null || child.signalCode !== null) {
            killGroup('SIGKILL');
            return;
          }
          const t = setTimeout(() => killGroup('SIGKILL'), 20_000);
          child.kill('SIGTERM');
          await exited;
          clearTimeout(t);
          killGroup('SIGKILL'); // anything left in the group
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`weir up exited early (${String(code)}):\n${out}`));
    });
  });
}

/** Poll until `probe` answers (the shared helper, under the name these tests use). */
export { eventually as waitFor } from '../support/weir-process.js';

/**
 * GET without keeping the connection open: a kept-alive client connection to a Service port currently holds
 * up `weir up`'s SIGTERM shutdown (the outbound proxy waits for it), so tests close theirs.
 */
export function getOnce(url: string, timeoutMs = 5_000): Promise<{ status: number; version?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false, headers: { connection: 'close' }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        const v = res.headers['x-version'];
        resolve({ status: res.statusCode ?? 0, body, ...(typeof v === 'string' ? { version: v } : {}) });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}
