import { request as httpRequest } from 'node:http';
import type { InboundPolicy } from '../../../engine/policy/types.js';
import { startInboundProxy, startOutboundProxy, type InboundProxy, type OutboundProxy } from '../../../proxy/index.js';
import { StaticPolicySource } from '../../../proxy/authz/source.js';
import type { TlsMaterial } from '../../../proxy/tls/material.js';
import { TestIdentity } from '../../support/mesh-pki.js';
export { policyOf } from '../../support/policy-objects.js';
import { endpoints, freePort, HOST, ManualConfigSource, service } from '../support/harness.js';
import { parsePrometheusText, type ParsedMetrics } from '../support/prom.js';

/**
 * One inbound proxy (identity `web`) in front of an app, fed its policy by hand, and the clients of the
 * table: `meshed` and `wrong` are outbound proxies with their own identities (mTLS to the inbound side),
 * `plaintext` talks to the inbound port directly.
 */
export interface AuthzMesh {
  inbound: InboundProxy;
  policy: StaticPolicySource;
  audits: string[];
  /** the outbound listener (Service `web`) of each meshed client */
  meshedPort: number;
  wrongPort: number;
  metrics(): Promise<ParsedMetrics>;
  close(): Promise<void>;
}

async function meshedClient(
  inboundPort: number,
  material: TlsMaterial,
  server: string,
): Promise<[OutboundProxy, number]> {
  const svc = service('web', await freePort(), 'test');
  const config = new ManualConfigSource({
    services: [svc],
    httpRoutes: [],
    endpoints: [endpoints(svc, [{ port: inboundPort, deployment: 'web', identity: server }])],
  });
  const outbound = await startOutboundProxy({
    configSource: config,
    identity: new TestIdentity(material),
    namespace: 'test',
    deployment: 'client',
    detectTimeoutMs: 300,
  });
  return [outbound, svc.spec.ports[0]!.port];
}

export async function startAuthzMesh(o: {
  appPort: number;
  server: TlsMaterial;
  meshed: TlsMaterial;
  wrong: TlsMaterial;
  initial: InboundPolicy;
}): Promise<AuthzMesh> {
  const policy = new StaticPolicySource(o.initial);
  const audits: string[] = [];
  const inbound = await startInboundProxy({
    appPort: o.appPort,
    identity: new TestIdentity(o.server),
    namespace: 'test',
    deployment: 'web',
    detectTimeoutMs: 300,
    policy,
    onAudit: (line) => audits.push(line),
  });
  const [meshed, meshedPort] = await meshedClient(inbound.port, o.meshed, o.server.identity);
  const [wrong, wrongPort] = await meshedClient(inbound.port, o.wrong, o.server.identity);
  return {
    inbound,
    policy,
    audits,
    meshedPort,
    wrongPort,
    metrics: async () => {
      const res = await fetch(`http://${HOST}:${inbound.adminPort}/metrics`);
      return parsePrometheusText(await res.text());
    },
    close: async () => {
      await meshed.close({ drainMs: 100 });
      await wrong.close({ drainMs: 100 });
      await inbound.close({ drainMs: 100 });
    },
  };
}

/** one GET on a fresh connection, from `localAddress` (a loopback address of our choice) */
export function getFrom(port: number, path: string, localAddress = HOST, method = 'GET'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: HOST, port, path, method, localAddress, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.setTimeout(5_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
