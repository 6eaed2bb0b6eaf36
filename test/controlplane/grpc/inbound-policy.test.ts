import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../../controlplane/grpc/server.js';
import type { MeshSnapshot } from '../../../engine/mesh/snapshot.js';
import { serviceSchema, type Service } from '../../../engine/resources/index.js';
import type { InboundServerPoliciesClient } from '../../../proto/generated/weir/inbound/v1/InboundServerPolicies.js';
import { inboundPolicyClient } from '../../../proxy/control/clients.js';
import { StreamReader } from '../../support/grpc-stream.js';
import { ManualConfigSource } from '../../proxy/support/harness.js';

function svc(name: string, port: number, appProtocol?: string): Service {
  return serviceSchema.parse({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'test' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port, ...(appProtocol ? { appProtocol } : {}) }] },
  });
}

/** Services `web` (and optionally `web-grpc`) whose endpoint is pod web-1's sidecar port 4143 */
function mesh(services: Service[]): Omit<MeshSnapshot, 'version'> {
  return {
    services,
    httpRoutes: [],
    endpoints: services.map((s) => ({
      namespace: 'test',
      service: s.metadata.name,
      port: s.spec.ports[0]!.port,
      endpoints: [{ address: '127.0.0.1', port: 4143, ready: true, pod: 'web-1', namespace: 'test' }],
    })),
  };
}

const DEFAULT_AUTHZ = [
  {
    networks: [
      { net: '0.0.0.0/0', except: [] },
      { net: '::/0', except: [] },
    ],
    authentication: { unauthenticated: {}, permit: 'unauthenticated' },
    labels: { group: '', kind: 'default', name: 'all-unauthenticated' },
  },
];

describe('the InboundServerPolicies API', () => {
  let cp: ControlPlane | undefined;
  let client: InboundServerPoliciesClient | undefined;
  afterEach(async () => {
    client?.close();
    await cp?.close();
  });

  it("serves the port's protocol from its Service's appProtocol with the default allow-all policy, then its changes", async () => {
    const source = new ManualConfigSource(mesh([svc('web', 8080, 'kubernetes.io/h2c')]));
    cp = await startControlPlane({ configSource: source });
    client = inboundPolicyClient(cp.address);
    const stream = new StreamReader(client.WatchPort({ workload: '{"ns":"test","pod":"web-1"}', port: 4143 }));

    const first = await stream.next();
    expect(first.protocol).toMatchObject({ kind: 'http2', http2: {} });
    expect(first.authorizations).toMatchObject(DEFAULT_AUTHZ);
    expect(first.labels).toEqual({ group: '', kind: 'default', name: 'all-unauthenticated' });

    source.set(mesh([svc('web', 8080, 'grpc')]));
    expect((await stream.next()).protocol?.kind).toBe('grpc');

    // two Services that disagree: the proxy detects the protocol
    source.set(mesh([svc('web', 8080, 'grpc'), svc('web-plain', 8081, 'http')]));
    expect((await stream.next()).protocol).toMatchObject({ kind: 'detect', detect: { timeoutMs: 10000 } });

    // an unrelated change: nothing sent
    source.set(mesh([svc('web', 8080, 'grpc'), svc('web-plain', 8081, 'http')]));
    source.set(mesh([svc('web', 8080, 'tcp')]));
    expect((await stream.next()).protocol?.kind).toBe('opaque');
    expect(stream.buffered).toBe(0);
  });

  it('detects the protocol of a port no Service names, and refuses a malformed workload', async () => {
    cp = await startControlPlane({ configSource: new ManualConfigSource(mesh([svc('web', 8080, 'http')])) });
    client = inboundPolicyClient(cp.address);
    const other = new StreamReader(client.WatchPort({ workload: 'test:web-2', port: 4143 }));
    expect((await other.next()).protocol?.kind).toBe('detect');
    const known = new StreamReader(client.WatchPort({ workload: 'test:web-1', port: 4143 }));
    expect((await known.next()).protocol?.kind).toBe('http1');

    const bad = new StreamReader(client.WatchPort({ workload: 'web-1', port: 4143 }));
    const end = await bad.ended();
    expect(end.code).toBe(status.INVALID_ARGUMENT);
    expect(end.details).toContain('workload: expected');
  });
});
