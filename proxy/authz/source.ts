import type { InboundPolicy } from '../../engine/policy/types.js';

/**
 * Where the inbound side gets the policy of its port: read once per request (or connection), so a
 * change applies to connections already open. `control/grpc-policy-source.ts` follows the control
 * plane's InboundServerPolicies stream; tests and files use `StaticPolicySource`.
 */
export interface PolicySource {
  current(): InboundPolicy;
  subscribe(listener: (policy: InboundPolicy) => void): () => void;
}

/** A policy set by hand: `set` replaces it. */
export class StaticPolicySource implements PolicySource {
  private readonly listeners = new Set<(p: InboundPolicy) => void>();
  constructor(private policy: InboundPolicy) {}

  current(): InboundPolicy {
    return this.policy;
  }

  set(policy: InboundPolicy): void {
    this.policy = policy;
    for (const l of this.listeners) l(policy);
  }

  subscribe(listener: (p: InboundPolicy) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
