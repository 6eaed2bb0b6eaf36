import { createServer, type IncomingMessage, type Server } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort, SAMPLE_APP, WEIR_BIN } from '../../support/weir-process.js';
import { listeningAddresses, processTree } from './listening-sockets.js';

/** every secret value the run is given; none may appear in a log line or an Event */
const SECRETS = {
  apiToken: 'api-token-S3CR3T-1f0e7c',
  alertAddressPath: 'alert-path-S3CR3T-9b2d',
  alertToken: 'alert-token-S3CR3T-77aa',
  hookPassword: 'hook-pass-S3CR3T-c4c4',
  hookQueryToken: 'query-S3CR3T-5e5e',
};

interface Seen {
  path: string;
  authorization: string | undefined;
}

async function failingReceiver(): Promise<{ server: Server; port: number; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
      res.statusCode = 500;
      res.end('receiver down');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, seen };
}

/** `rx` answers 500 to the alerts and the gate; the event hook's port has nothing listening (connection refused) */
function manifests(svcPort: number, rx: number, closed: number): string {
  const hookUrl = (path: string, port = rx) =>
    `http://hook-user:${SECRETS.hookPassword}@127.0.0.1:${port}/${path}?token=${SECRETS.hookQueryToken}`;
  return `
apiVersion: apps/v1
kind: Deployment
metadata: { name: podinfo, namespace: test, labels: { app: podinfo } }
spec:
  replicas: 1
  selector: { matchLabels: { app: podinfo } }
  template:
    metadata: { labels: { app: podinfo } }
    spec:
      containers:
        - name: podinfod
          image: ghcr.io/stefanprodan/podinfo:6.0.0
          command: ['node']
          args: ['${SAMPLE_APP}']
          ports: [{ name: http, containerPort: 9898 }]
---
apiVersion: v1
kind: Service
metadata: { name: podinfo, namespace: test }
spec:
  selector: { app: podinfo }
  ports: [{ name: http, port: ${svcPort}, targetPort: http }]
---
apiVersion: v1
kind: Secret
metadata: { name: slack-hook, namespace: test }
stringData:
  address: http://127.0.0.1:${rx}/${SECRETS.alertAddressPath}
  token: ${SECRETS.alertToken}
---
apiVersion: flagger.app/v1beta1
kind: AlertProvider
metadata: { name: slack, namespace: test }
spec:
  type: slack
  channel: alerts
  secretRef: { name: slack-hook }
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: podinfo, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: podinfo }
  service:
    port: ${svcPort}
    gatewayRefs: [{ group: core, kind: Service, name: podinfo, port: ${svcPort} }]
  analysis:
    interval: 1s
    threshold: 2
    maxWeight: 50
    stepWeight: 25
    alerts: [{ name: on-call, severity: info, providerRef: { name: slack } }]
    webhooks:
      - { name: audit, type: event, url: '${hookUrl('event', closed)}', timeout: 2s }
      - { name: gate, type: confirm-rollout, url: '${hookUrl('gate')}', timeout: 2s }
`;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

describe('weir up: no secret or token in logs or Events, and every port on loopback', () => {
  let dir: string | undefined;
  let child: ChildProcess | undefined;
  let rx: Awaited<ReturnType<typeof failingReceiver>> | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    rx?.server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('with an API token, AlertProvider secrets, identity tokens and webhooks with credentials: none of them in stdout/stderr, the state directory logs or the Events; every listening port of weir up, its sidecars and apps is on loopback', async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-secrets-'));
    rx = await failingReceiver();
    const stateDir = join(dir, 'state');
    const site = join(dir, 'site');
    await (await import('node:fs/promises')).mkdir(site);
    await writeFile(join(site, 'app.yaml'), manifests(await freePort(), rx.port, await freePort()));

    let output = '';
    child = spawn(process.execPath, [WEIR_BIN, 'up', site, '--state-dir', stateDir, '--no-dashboard'], {
      env: { ...process.env, WEIR_API_TOKEN: SECRETS.apiToken, WEIR_LOG_LEVEL: 'debug' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const api = await eventually(
      'the API URL',
      60_000,
      async () => /API listening on (https?:\/\/\S+)/.exec(output)?.[1],
    );

    // the identity tokens the sidecars were given (files in the state directory while they run)
    const identityTokens = await eventually('a sidecar identity token', 60_000, async () => {
      const files = (await filesUnder(stateDir)).filter((f) => f.endsWith('.token'));
      if (files.length === 0) return undefined;
      return Promise.all(files.map(async (f) => (await readFile(f, 'utf8')).trim()));
    });
    // the secrets were used: the alert carried its token, the hooks were called (and failed: logged)
    await eventually('an alert and a failed event hook', 90_000, async () =>
      rx!.seen.some((s) => s.path === `/${SECRETS.alertAddressPath}`) && /event webhook audit failed/.test(output)
        ? true
        : undefined,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; receiver saw ${JSON.stringify(rx!.seen.map((s) => s.path))}; output:\n${output.slice(-3000)}`,
      );
    });
    expect(rx.seen.find((s) => s.path === `/${SECRETS.alertAddressPath}`)?.authorization).toBe(
      `Bearer ${SECRETS.alertToken}`,
    );

    // every Event, through the API (token required)
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    const res = await fetch(`${api}/api/v1/events`, {
      headers: { authorization: `Bearer ${SECRETS.apiToken}` },
      // @ts-expect-error undici's fetch option
      dispatcher,
      signal: AbortSignal.timeout(10_000),
    });
    expect(res.status, 'GET events with the token').toBe(200);
    const events = await res.text();
    expect(events, 'the Events list').toMatch(/podinfo/);
    const unauthorized = await fetch(`${api}/api/v1/events`, {
      // @ts-expect-error undici's fetch option
      dispatcher,
      signal: AbortSignal.timeout(10_000),
    });
    expect(unauthorized.status, 'GET events without the token').toBe(401);

    // every port weir up, its sidecars and its apps listen on is loopback (API, metrics, control plane,
    // proxies' listeners and admin ports): nothing is reachable from another host by default
    const sockets = await listeningAddresses(await processTree(child.pid!));
    expect(sockets.length, JSON.stringify(sockets)).toBeGreaterThan(3);
    // (127.0.0.0/8 as a whole: pods get addresses such as 127.0.1.1)
    expect(sockets.filter((s) => !/^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+):\d+$/.test(s.address))).toEqual(
      [],
    );

    // stop, so every log is flushed
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    const logs = await Promise.all(
      (await filesUnder(stateDir)).filter((f) => f.endsWith('.log')).map(async (f) => [f, await readFile(f, 'utf8')]),
    );
    expect(logs.length, 'log files in the state directory').toBeGreaterThan(0);

    const secrets: Array<[string, string]> = [
      ...Object.entries(SECRETS),
      ...identityTokens.map((t, i): [string, string] => [`identity token ${i}`, t]),
    ];
    const leaks: string[] = [];
    const places: Array<[string, string]> = [
      ['weir up stdout/stderr', output],
      ['Events', events],
      ...(logs as Array<[string, string]>),
    ];
    for (const [where, text] of places)
      for (const [name, value] of secrets) if (text.includes(value)) leaks.push(`${name} in ${where}`);
    expect(leaks).toEqual([]);
    // the failures were logged, with the URL masked
    expect(output).toMatch(/hook-user:\*\*\*@127\.0\.0\.1:\d+\/event\?token=\*\*\*/);
  }, 180_000);
});
