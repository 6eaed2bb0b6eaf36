import { resolve } from 'node:path';
import { createDiscovery, DISCOVERY_KINDS } from '../../controlplane/discovery/index.js';
import { EGRESS_KINDS, StoreEgressInputs } from '../../controlplane/egress/inputs.js';
import { startControlPlane } from '../../controlplane/grpc/server.js';
import {
  AuthorityError,
  CaCertifier,
  loadAuthority,
  loadOrCreateAuthority,
  type Authority,
} from '../../controlplane/identity/index.js';
import { KubernetesTokenReviewer } from '../../controlplane/identity/kube-token-reviewer.js';
import { POLICY_KINDS, StorePolicyInputs } from '../../controlplane/policy/inputs.js';
import { parseDurationMs } from '../../engine/resources/meta.js';
import { DEFAULT_POLICY_DEFAULTS } from '../../engine/policy/index.js';
import { DEFAULT_POLICIES, type DefaultPolicyName } from '../../engine/resources/index.js';
import { isPort, loadKubeConfig, nextStopSignal, openKubeStore } from '../kube-connection.js';
import { createLogger } from '../logger.js';

export interface ControlPlaneCommandOptions {
  kubeconfig?: string;
  namespace?: string;
  grpcPort?: number;
  grpcHost?: string;
  /** where a generated identity CA is kept (made on the first start) */
  identityDir?: string;
  trustAnchor?: string;
  issuerCert?: string;
  issuerKey?: string;
  identityCertLifetime?: string;
  defaultInboundPolicy?: string;
}

/** what discovery, inbound policy and egress policy are made of */
export const CONTROL_PLANE_KINDS = [...new Set([...DISCOVERY_KINDS, ...POLICY_KINDS, ...EGRESS_KINDS])];

/**
 * `weir control-plane`: the gRPC services `weir up` hosts for its sidecars (Destination, inbound and egress
 * policy, Identity), served from the Kubernetes store of the cluster a kubeconfig names. Identity requests
 * prove their workload with a service account token, checked by a TokenReview.
 */
export async function controlPlaneCommand(opts: ControlPlaneCommandOptions): Promise<number> {
  const fail = (msg: string) => {
    console.error(`weir control-plane: ${msg}`);
    return 2;
  };
  if (!isPort(opts.grpcPort)) return fail(`--grpc-port must be a port number, got ${String(opts.grpcPort)}`);
  const files = [opts.trustAnchor, opts.issuerCert, opts.issuerKey];
  const someFiles = files.some((f) => f !== undefined);
  if (someFiles && files.some((f) => f === undefined || f === ''))
    return fail('--trust-anchor, --issuer-cert and --issuer-key go together (all three PEM files, or none)');
  if (someFiles && opts.identityDir !== undefined)
    return fail('--identity-dir and --trust-anchor/--issuer-cert/--issuer-key exclude each other');
  let leafLifetimeMs: number | undefined;
  if (opts.identityCertLifetime !== undefined) {
    leafLifetimeMs = parseDurationMs(opts.identityCertLifetime);
    if (leafLifetimeMs === undefined || !(leafLifetimeMs >= 1000))
      return fail(
        `--identity-cert-lifetime must be a Go duration of at least 1s, got ${JSON.stringify(opts.identityCertLifetime)}`,
      );
  }
  const policy = opts.defaultInboundPolicy;
  if (policy !== undefined && !(DEFAULT_POLICIES as readonly string[]).includes(policy))
    return fail(
      `--default-inbound-policy must be one of ${DEFAULT_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
    );
  const loaded = loadKubeConfig(opts.kubeconfig);
  if (typeof loaded === 'string') return fail(loaded);

  let authority: Authority | undefined;
  try {
    if (someFiles)
      authority = await loadAuthority({
        trustAnchor: resolve(opts.trustAnchor!),
        issuerCert: resolve(opts.issuerCert!),
        issuerKey: resolve(opts.issuerKey!),
      });
    else if (opts.identityDir !== undefined) authority = await loadOrCreateAuthority(resolve(opts.identityDir));
  } catch (err) {
    if (!(err instanceof AuthorityError)) throw err;
    return fail(`identity: ${err.message}`);
  }

  const logger = createLogger();
  const stop = nextStopSignal();
  console.log(
    `weir control-plane: watching ${loaded.server} ${opts.namespace !== undefined ? `namespace ${opts.namespace}` : 'all namespaces'}`,
  );
  const store = await openKubeStore(
    'weir control-plane',
    {
      kubeConfig: loaded.kubeConfig,
      ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
      kinds: CONTROL_PLANE_KINDS,
      logger: logger.child('store'),
    },
    stop,
  );
  if (!store) return 0;
  // a cluster keeps EndpointSlices for every Service; the embedded API has Pods for selected ones
  const discovery = createDiscovery(store, { endpoints: 'slices' });
  const policyInputs = new StorePolicyInputs(store, {
    ...DEFAULT_POLICY_DEFAULTS,
    defaultPolicy: (policy as DefaultPolicyName | undefined) ?? DEFAULT_POLICY_DEFAULTS.defaultPolicy,
  });
  const egressInputs = new StoreEgressInputs(store);
  const certifier = authority
    ? new CaCertifier({
        authority,
        tokens: new KubernetesTokenReviewer(loaded.kubeConfig),
        ...(leafLifetimeMs !== undefined ? { leafLifetimeMs } : {}),
      })
    : undefined;
  const controlPlane = await startControlPlane({
    configSource: discovery,
    policyInputs,
    egressInputs,
    ...(certifier ? { certifier } : {}),
    host: opts.grpcHost ?? '127.0.0.1',
    port: opts.grpcPort ?? 0,
    onOverflow: (rpc, what) => logger.warn(`control plane: ${rpc} ${what}: client too slow, stream closed`),
  });
  console.log(`control plane: grpc://${controlPlane.address}`);
  if (!certifier) console.log('weir control-plane: identity off (no --identity-dir or issuer files)');

  const sig = await stop;
  console.log(`${sig}: stopping`);
  await controlPlane.close();
  discovery.close();
  policyInputs.close();
  egressInputs.close();
  await store.close();
  return 0;
}
