import type { StatusObject } from '@grpc/grpc-js';
import { credentials, status } from '@grpc/grpc-js';
import { EgressPolicy } from '../../engine/policy/egress.js';
import { egressNetworkSchema, httpRouteSchema, tcpRouteSchema, tlsRouteSchema } from '../../engine/resources/index.js';
import type { EgressPoliciesClient } from '../../proto/generated/weir/egress/v1/EgressPolicies.js';
import type { EgressPolicy__Output } from '../../proto/generated/weir/egress/v1/EgressPolicy.js';
import { weirApi } from '../../proto/load.js';
import type { EgressPolicySource } from '../egress/source.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { channelOptions } from './clients.js';
import { decodeAll, WireError } from './decode.js';
import { realTimers, type Timers } from './timers.js';
import { ResilientWatch } from './watch.js';

export interface GrpcEgressSourceOptions {
  /** the control plane, `host:port` */
  address: string;
  /** the proxy's own namespace and pod */
  namespace: string;
  pod?: string;
  backoff?: BackoffOptions;
  timers?: Timers;
  /** a policy refused at the edge (the one in force stays) */
  onRejected?: (errors: string[]) => void;
  /** a new policy is in force */
  onApplied?: (policy: EgressPolicy) => void;
  onDown?: (reason: StatusObject, retryInMs: number) => void;
}

/** an EgressPolicy message, validated with the manifests' schemas and compiled for `namespace` */
export function decodeEgressPolicy(m: EgressPolicy__Output, namespace: string): EgressPolicy {
  const objects = {
    egressNetworks: decodeAll('EgressNetwork', egressNetworkSchema, m.egressNetworks),
    httpRoutes: decodeAll('HTTPRoute', httpRouteSchema, m.httpRoutes),
    tcpRoutes: decodeAll('TCPRoute', tcpRouteSchema, m.tcpRoutes),
    tlsRoutes: decodeAll('TLSRoute', tlsRouteSchema, m.tlsRoutes),
  };
  return new EgressPolicy(objects, namespace, m.globalNamespace || undefined);
}

/**
 * The egress policy of the proxy's namespace from the control plane's `EgressPolicies.Watch`: each message
 * replaces the policy in force; while the control plane is away the last one stays (until the first, egress
 * is not controlled, as without any EgressNetwork), and the stream is reopened with backoff.
 */
export class GrpcEgressSource implements EgressPolicySource {
  private readonly client: EgressPoliciesClient;
  private readonly watch: ResilientWatch<EgressPolicy__Output>;
  private policy: EgressPolicy;
  private resolveReady: () => void = () => undefined;
  private readonly readyPromise = new Promise<void>((r) => (this.resolveReady = r));

  constructor(private readonly options: GrpcEgressSourceOptions) {
    this.policy = new EgressPolicy(
      { egressNetworks: [], httpRoutes: [], tcpRoutes: [], tlsRoutes: [] },
      options.namespace,
    );
    this.client = new (weirApi().egress.v1.EgressPolicies)(
      options.address,
      credentials.createInsecure(),
      channelOptions(),
    );
    const contextToken = JSON.stringify({
      ns: options.namespace,
      ...(options.pod !== undefined ? { pod: options.pod } : {}),
    });
    this.watch = new ResilientWatch<EgressPolicy__Output>(
      () => this.client.Watch({ contextToken }),
      {
        onMessage: (m) => this.apply(m),
        onDown: (reason, retryInMs) => {
          // a control plane without the API: nothing to wait for (egress stays uncontrolled; retried anyway)
          if (reason.code === status.UNIMPLEMENTED) this.resolveReady();
          options.onDown?.(reason, retryInMs);
        },
      },
      new Backoff(options.backoff),
      options.timers ?? realTimers,
    ).start();
  }

  private apply(m: EgressPolicy__Output): void {
    try {
      this.policy = decodeEgressPolicy(m, this.options.namespace);
    } catch (err) {
      this.options.onRejected?.(err instanceof WireError ? err.errors : [String(err)]);
      return;
    }
    this.resolveReady();
    this.options.onApplied?.(this.policy);
  }

  current(): EgressPolicy {
    return this.policy;
  }

  /** resolves with the first policy (or once the control plane says it has no EgressPolicies API) */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  close(): void {
    this.watch.close();
    this.client.close();
  }
}
