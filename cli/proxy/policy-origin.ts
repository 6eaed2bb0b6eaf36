import { defaultAuthorizations, type InboundPolicy } from '../../engine/policy/index.js';
import { GrpcPolicySource } from '../../proxy/control/index.js';

/** The inbound policy a `weir proxy --control-plane ... --pod P --app-port N` enforces, and how it is followed. */
export interface PolicyOrigin {
  source: GrpcPolicySource;
  /** the first policy from the control plane (the sidecar is not ready before it) */
  ready(): Promise<void>;
  /** whether the first policy came */
  received(): boolean;
  /** what `/config` shows: the policy in force, as the control plane compiled it */
  describe(): InboundPolicy;
  close(): void;
}

/**
 * The port's policy from the control plane's InboundServerPolicies stream (`GrpcPolicySource`), asked for
 * the pod (`--namespace`, `--pod`) and its app port, the port a Server selects (the control plane maps it
 * to the pod's container port). A policy refused at the edge is said on stderr and the one in force stays;
 * while the control plane is away the last policy stays (the configuration's stream says so once).
 */
export function openPolicyOrigin(
  address: string,
  workload: { namespace: string; pod: string; appPort: number },
  warn: (line: string) => void,
): PolicyOrigin {
  const source = new GrpcPolicySource({
    address,
    namespace: workload.namespace,
    pod: workload.pod,
    port: workload.appPort,
    // nothing is let in before the port's policy came (Linkerd's proxy waits for it too)
    initial: {
      protocol: 'detect',
      server: { group: '', kind: 'default', name: 'deny' },
      authorizations: defaultAuthorizations('deny', []),
      routes: [],
    },
    onRejected: (errors) => {
      for (const e of errors) warn(`inbound policy rejected: control plane ${address}: ${e}`);
      warn(`inbound policy rejected: keeping ${source.current().server.kind}:${source.current().server.name}`);
    },
  });
  let received = false;
  void source.ready().then(() => (received = true));
  return {
    source,
    ready: () => source.ready(),
    received: () => received,
    describe: () => source.current(),
    close: () => source.close(),
  };
}
