import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { ConfigSource } from '../../engine/mesh/snapshot.js';
import { weirApi } from '../../proto/load.js';
import { destinationService } from '../destination/service.js';
import type { EgressInputsSource } from '../egress/inputs.js';
import { egressPolicyService } from '../egress/service.js';
import type { PolicyInputsSource } from '../policy/inputs.js';
import { inboundPolicyService } from '../policy/service.js';
import { identityService, type Certifier } from './identity-service.js';
import { acceptingEncoded } from './pre-encoded.js';
import { DEFAULT_STREAM_QUEUE } from './stream-queue.js';

export interface ControlPlaneOptions {
  /** the mesh the proxies are told about (discovery over the store, in `weir up`) */
  configSource: ConfigSource;
  /** signs sidecars' CSRs; without one, `Identity.Certify` answers UNIMPLEMENTED */
  certifier?: Certifier;
  /** default 127.0.0.1 */
  host?: string;
  /** default 0: a free port */
  port?: number;
  /** most updates waiting per stream before the stream is closed (default 100, as Linkerd's) */
  queueCapacity?: number;
  /**
   * what inbound policies are compiled from (`StorePolicyInputs` over the store); default none: every
   * port gets the mesh default policy, all-unauthenticated
   */
  policyInputs?: PolicyInputsSource;
  /** what egress policies are made of (`StoreEgressInputs` over the store); default none: egress is not controlled */
  egressInputs?: EgressInputsSource;
  /** the global egress namespace (default Linkerd's `linkerd-egress`) */
  globalEgressNamespace?: string;
  /** a stream closed because its client did not keep up */
  onOverflow?: (rpc: string, what: string) => void;
}

export interface ControlPlane {
  host: string;
  port: number;
  /** `127.0.0.1:PORT`, what `weir proxy --control-plane` takes */
  address: string;
  /** end every call (watches included) and stop; `{ force: false }` waits for calls to end on their own */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * The control plane's gRPC API on one port: Destination (endpoints and routes per Service port, and
 * the Services list), InboundServerPolicies, and Identity.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const api = weirApi();
  const host = options.host ?? '127.0.0.1';
  const queueCapacity = options.queueCapacity ?? DEFAULT_STREAM_QUEUE;
  const watch = { configSource: options.configSource, queueCapacity, onOverflow: options.onOverflow };
  const server = new Server();
  // the Destination streams write each update encoded once for every stream that watches it
  server.addService(acceptingEncoded(api.destination.v1.Destination.service), destinationService(watch));
  server.addService(
    api.inbound.v1.InboundServerPolicies.service,
    inboundPolicyService({ ...watch, policyInputs: options.policyInputs }),
  );
  server.addService(
    api.egress.v1.EgressPolicies.service,
    egressPolicyService({
      ...watch,
      ...(options.egressInputs !== undefined ? { egressInputs: options.egressInputs } : {}),
      ...(options.globalEgressNamespace !== undefined ? { globalNamespace: options.globalEgressNamespace } : {}),
    }),
  );
  server.addService(api.identity.v1.Identity.service, identityService(options.certifier));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 0}`,
      ServerCredentials.createInsecure(),
      (err, p) => (err ? reject(err) : resolve(p)),
    ),
  );
  let closed: Promise<void> | undefined;
  return {
    host,
    port,
    address: `${host}:${port}`,
    close({ force = true } = {}) {
      closed ??= new Promise<void>((resolve) => {
        if (force) {
          server.forceShutdown();
          resolve();
        } else server.tryShutdown(() => resolve());
      });
      return closed;
    },
  };
}
