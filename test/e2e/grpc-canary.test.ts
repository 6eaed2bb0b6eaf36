import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greeterService, type HelloReply } from '../../samples/app/greeter.js';
import { StateWindows } from '../support/state-windows.js';
import { SAMPLE_GREETER, eventually, freePort, runWeir, startWeirUp, type WeirUp } from '../support/weir-process.js';

function deployment(version: string, errorRate = 0): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: greeter, namespace: test }
spec:
  replicas: 1
  progressDeadlineSeconds: 60
  selector: { matchLabels: { app: greeter } }
  template:
    metadata: { labels: { app: greeter } }
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: greeter
          command: [node]
          args: [${JSON.stringify(SAMPLE_GREETER)}]
          env: [{ name: VERSION, value: "${version}" }, { name: ERROR_RATE, value: "${errorRate}" }]
          ports: [{ name: grpc, containerPort: 9999 }]
          readinessProbe: { tcpSocket: { port: grpc }, periodSeconds: 1 }
`;
}

function serviceAndCanary(port: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: greeter, namespace: test }
spec:
  selector: { app: greeter }
  ports: [{ name: grpc, port: ${port}, targetPort: grpc, appProtocol: grpc }]
---
apiVersion: flagger.app/v1beta1
kind: Canary
metadata: { name: greeter, namespace: test }
spec:
  targetRef: { apiVersion: apps/v1, kind: Deployment, name: greeter }
  progressDeadlineSeconds: 60
  service:
    port: ${port}
    portName: grpc
    targetPort: grpc
    appProtocol: grpc
  analysis:
    interval: 1s
    threshold: 3
    stepWeight: 20
    maxWeight: 60
    metrics:
      - name: request-success-rate
        thresholdRange: { min: 99 }
        interval: 5s
`;
}

interface Greeter extends grpc.Client {
  hello(req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: HelloReply) => void): void;
}
const GreeterClient = grpc.makeGenericClientConstructor(greeterService, 'Greeter') as unknown as new (
  address: string,
  creds: grpc.ChannelCredentials,
) => Greeter;

/** the version that answered one call, or the gRPC status name of its failure */
function hello(client: Greeter): Promise<string> {
  return new Promise((resolve) =>
    client.hello({}, { deadline: Date.now() + 5_000 }, (err, res) =>
      resolve(err ? `error:${grpc.status[err.code]}` : (res?.version ?? 'none')),
    ),
  );
}

async function canaryState(api: string) {
  const c = await fetch(`${api}/apis/flagger.app/v1beta1/namespaces/test/canaries/greeter`, {
    signal: AbortSignal.timeout(5_000),
  });
  return ((await c.json()) as { status?: { phase?: string; canaryWeight?: number } }).status ?? {};
}

// A gRPC canary (Flagger #1935): a Service port with appProtocol grpc is split with a GRPCRoute, whose
// weights move real gRPC calls (@grpc/grpc-js over HTTP/2) between the primary and the canary; a canary
// that answers UNAVAILABLE is rolled back on the success rate the proxies measure from grpc-status.
describe('a gRPC canary end to end', () => {
  let dir: string;
  let scratch: string;
  let up: WeirUp | undefined;
  let port: number;
  let client: Greeter;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-grpc-'));
    scratch = await mkdtemp(join(tmpdir(), 'weir-grpc-apply-'));
    port = await freePort();
    await writeFile(join(dir, 'greeter.yaml'), `${deployment('1.0.0')}---\n${serviceAndCanary(port)}`);
    up = await startWeirUp([dir, '--state-dir', join(dir, '.state')]);
    client = new GreeterClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await up?.stop();
    await rm(dir, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
  });

  it('shifts gRPC calls to the new version step by step through a GRPCRoute, then promotes it', async () => {
    await eventually('the canary to initialize', 40_000, async () =>
      (await canaryState(up!.api)).phase === 'Initialized' ? true : undefined,
    );
    const route = await fetch(`${up!.api}/apis/gateway.networking.k8s.io/v1/namespaces/test/grpcroutes/greeter`);
    expect(route.status).toBe(200);
    expect(await hello(client)).toBe('1.0.0');

    const v2 = join(scratch, 'v2.yaml');
    await writeFile(v2, deployment('2.0.0'));
    expect((await runWeir(['apply', '-f', v2, '--api', up!.api])).code).toBe(0);
    const windows = new StateWindows(
      () => canaryState(up!.api),
      (s) => s.phase ?? 'none',
    );
    const deadline = Date.now() + 120_000;
    let s = await windows.refresh();
    while (Date.now() < deadline && s.phase !== 'Succeeded' && s.phase !== 'Failed') {
      // a burst per observation, so that even the first 20 % step is seen with near certainty (0.8^8 per burst)
      s = await windows.observe('call', () => Promise.all(Array.from({ length: 8 }, () => hello(client))));
    }
    expect(s.phase).toBe('Succeeded');
    const during = windows.during<string[]>('Progressing', 'call').flat();
    // both versions answered while the weights moved, and no call failed
    expect(new Set(during)).toEqual(new Set(['1.0.0', '2.0.0']));
    await eventually('v2 for every call', 20_000, async () => ((await hello(client)) === '2.0.0' ? true : undefined));
  }, 180_000);

  it('rolls back a canary that answers UNAVAILABLE, and every call is served by the primary again', async () => {
    const v3 = join(scratch, 'v3.yaml');
    await writeFile(v3, deployment('3.0.0', 1));
    expect((await runWeir(['apply', '-f', v3, '--api', up!.api])).code).toBe(0);
    const seen = new Set<string>();
    // the last run's Succeeded stays until the controller sees the new revision
    await eventually('the new revision to start', 60_000, async () => {
      seen.add(await hello(client));
      return (await canaryState(up!.api)).phase !== 'Succeeded' ? true : undefined;
    });
    const deadline = Date.now() + 120_000;
    let s = await canaryState(up!.api);
    while (Date.now() < deadline && s.phase !== 'Failed' && s.phase !== 'Succeeded') {
      seen.add(await hello(client));
      s = await canaryState(up!.api);
    }
    expect(s.phase).toBe('Failed');
    // the canary did receive calls (and failed them) before the rollback
    expect(seen.has('error:UNAVAILABLE')).toBe(true);
    expect(s.canaryWeight).toBe(0);
    for (let i = 0; i < 10; i++) expect(await hello(client)).toBe('2.0.0');
  }, 180_000);
});
