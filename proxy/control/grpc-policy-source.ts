import type { StatusObject } from '@grpc/grpc-js';
import { defaultAuthorizations, type InboundPolicy } from '../../engine/policy/index.js';
import type { InboundServerPoliciesClient } from '../../proto/generated/weir/inbound/v1/InboundServerPolicies.js';
import type { Server__Output } from '../../proto/generated/weir/inbound/v1/Server.js';
import type { PolicySource } from '../authz/source.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { inboundPolicyClient } from './clients.js';
import { decodePolicy } from './decode-policy.js';
import { onChannelReady } from './on-channel-ready.js';
import { realTimers, type Timers } from './timers.js';
import { ResilientWatch } from './watch.js';

export interface GrpcPolicySourceOptions {
  /** the control plane, `host:port` */
  address: string;
  /** the proxy's own pod and the port it asks about (its inbound port) */
  namespace: string;
  pod: string;
  port: number;
  /** in force until the first policy arrives (default: Linkerd's `all-unauthenticated`) */
  initial?: InboundPolicy;
  backoff?: BackoffOptions;
  timers?: Timers;
  /** a policy refused at the edge (the one in force stays) */
  onRejected?: (errors: string[]) => void;
  onDown?: (reason: StatusObject, retryInMs: number) => void;
}

const ALL_UNAUTHENTICATED: InboundPolicy = {
  protocol: 'detect',
  server: { group: '', kind: 'default', name: 'all-unauthenticated' },
  authorizations: defaultAuthorizations('all-unauthenticated', []),
  routes: [],
};

/**
 * The inbound policy of the proxy's port from the control plane's `InboundServerPolicies.WatchPort`
 * (next to `GrpcConfigSource`): each message replaces the policy in force; while the control plane is
 * away the last one stays, and the stream is reopened with backoff. `ready()` resolves with the first.
 */
export class GrpcPolicySource implements PolicySource {
  private readonly client: InboundServerPoliciesClient;
  private readonly watch: ResilientWatch<Server__Output>;
  private readonly listeners = new Set<(p: InboundPolicy) => void>();
  private policy: InboundPolicy;
  private resolveReady: () => void = () => undefined;
  private readonly readyPromise = new Promise<void>((r) => (this.resolveReady = r));
  private channelWatch: { stop(): void } | undefined;

  constructor(private readonly options: GrpcPolicySourceOptions) {
    this.policy = options.initial ?? ALL_UNAUTHENTICATED;
    this.client = inboundPolicyClient(options.address);
    const workload = JSON.stringify({ ns: options.namespace, pod: options.pod });
    this.watch = new ResilientWatch<Server__Output>(
      () => this.client.WatchPort({ workload, port: options.port }),
      {
        onMessage: (m) => this.apply(m),
        onDown: (reason, retryInMs) => {
          options.onDown?.(reason, retryInMs);
          // reopen as soon as the channel is back rather than at the end of the backoff
          this.channelWatch ??= onChannelReady(this.client, () => {
            this.channelWatch = undefined;
            this.watch.retryNow();
          });
        },
      },
      new Backoff(options.backoff),
      options.timers ?? realTimers,
    ).start();
  }

  private apply(message: Server__Output): void {
    const decoded = decodePolicy(message);
    if ('errors' in decoded) {
      this.options.onRejected?.(decoded.errors);
      return;
    }
    this.policy = decoded;
    this.resolveReady();
    for (const l of [...this.listeners]) l(decoded);
  }

  current(): InboundPolicy {
    return this.policy;
  }

  subscribe(listener: (p: InboundPolicy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  close(): void {
    this.channelWatch?.stop();
    this.watch.close();
    this.client.close();
  }
}
