import { connect, createServer, type Server, type Socket } from 'node:net';
import { startInboundProxy, startOutboundProxy, type InboundProxy, type OutboundProxy } from '../../../proxy/index.js';
import type { InboundProxyOptions } from '../../../proxy/inbound.js';
import type { TlsMaterial } from '../../../proxy/tls/material.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { MeshPki, TestIdentity } from '../../support/mesh-pki.js';
import { Client, endpoints, freePort, HOST, ManualConfigSource, service } from '../support/harness.js';
import { parsePrometheusText, type ParsedMetrics } from '../support/prom.js';

/**
 * A TCP relay between the outbound and the inbound proxy that keeps what the outbound side sent on each
 * connection, so a test can see whether the wire carried TLS or plaintext.
 */
export class Relay {
  readonly server: Server;
  /** client -> server bytes, one buffer per connection, in order of arrival */
  readonly connections: Buffer[] = [];
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {
    this.server = createServer({ allowHalfOpen: true }, (down) => {
      const index = this.connections.push(Buffer.alloc(0)) - 1;
      const up = connect({ host: HOST, port: this.target, allowHalfOpen: true });
      for (const s of [down, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => (s === down ? up : down).destroy());
      }
      down.on('data', (c: Buffer) => {
        this.connections[index] = Buffer.concat([this.connections[index]!, c]);
      });
      down.pipe(up);
      up.pipe(down);
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, HOST, r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** every byte the outbound side sent, over every connection */
  get all(): Buffer {
    return Buffer.concat(this.connections);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

export interface MtlsMesh {
  inbound: InboundProxy;
  outbound: OutboundProxy;
  relay: Relay;
  config: ManualConfigSource;
  /** the outbound listener of Service `web` */
  port: number;
  serverIdentity: TestIdentity;
  clientIdentity: TestIdentity;
  /** announce the endpoint again with `identity` (undefined: no identity, plaintext) */
  announce(identity: string | undefined): Promise<void>;
  metrics(side: 'inbound' | 'outbound'): Promise<ParsedMetrics>;
  close(): Promise<void>;
}

/**
 * client -> outbound proxy (Service `web`, with `client` material) -> relay -> inbound proxy (with
 * `server` material) -> the app on `appPort`. The endpoint is announced with `announced` as identity.
 */
export async function startMtlsMesh(o: {
  appPort: number;
  client: TlsMaterial | undefined;
  server: TlsMaterial | undefined;
  announced: string | undefined;
  inbound?: Partial<InboundProxyOptions>;
}): Promise<MtlsMesh> {
  const serverIdentity = new TestIdentity(o.server);
  const clientIdentity = new TestIdentity(o.client);
  const inbound = await startInboundProxy({
    appPort: o.appPort,
    identity: serverIdentity,
    namespace: 'test',
    deployment: 'web',
    detectTimeoutMs: 300,
    ...o.inbound,
  });
  const relay = await new Relay(inbound.port).listen();
  const svc = service('web', await freePort(), 'test');
  const snapshot = (identity: string | undefined) => ({
    services: [svc],
    httpRoutes: [],
    endpoints: [
      endpoints(svc, [{ port: relay.port, deployment: 'web', ...(identity !== undefined ? { identity } : {}) }]),
    ],
  });
  const config = new ManualConfigSource(snapshot(o.announced));
  const outbound = await startOutboundProxy({
    configSource: config,
    identity: clientIdentity,
    namespace: 'test',
    deployment: 'client',
    detectTimeoutMs: 300,
  });
  return {
    inbound,
    outbound,
    relay,
    config,
    port: svc.spec.ports[0]!.port,
    serverIdentity,
    clientIdentity,
    announce: async (identity) => {
      config.set(snapshot(identity));
      await outbound.settled();
    },
    metrics: async (side) => {
      const port = side === 'inbound' ? inbound.adminPort : outbound.adminPort;
      const res = await fetch(`http://${HOST}:${port}/metrics`);
      return parsePrometheusText(await res.text());
    },
    close: async () => {
      await outbound.close({ drainMs: 100 });
      await relay.close();
      await inbound.close({ drainMs: 100 });
    },
  };
}

/** whether `bytes` start with a TLS handshake record (a ClientHello) */
export function startsWithTls(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0x16 && bytes[1] === 0x03;
}

/** What the mesh TLS suites share: one PKI per suite, an HTTP client, and cleanups run after each test. */
export interface MeshSuite {
  /** made in beforeAll */
  readonly pki: MeshPki;
  /** run after each test, last pushed first */
  readonly cleanup: Array<() => Promise<void> | void>;
  readonly client: Client;
}

/** call in a `describe`: registers its hooks and returns the suite's fixture */
export function meshSuite(): MeshSuite {
  let pki: MeshPki | undefined;
  const cleanup: Array<() => Promise<void> | void> = [];
  const client = new Client();
  beforeAll(async () => {
    pki = await MeshPki.create();
  });
  afterAll(() => client.close());
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup.length = 0;
  });
  return {
    get pki(): MeshPki {
      if (pki === undefined) throw new Error('meshSuite: the PKI is made in beforeAll');
      return pki;
    },
    cleanup,
    client,
  };
}
