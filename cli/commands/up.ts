import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { isLoopback } from '../../controlplane/api/http-api.js';
import { kubeconfigFor } from '../../controlplane/api/kubeconfig.js';
import { selfSignedServingCert } from '../../controlplane/api/serving-cert.js';
import { AuthorityError } from '../../controlplane/identity/index.js';
import { writeFileAtomic } from '../../controlplane/store/atomic.js';
import { parseDurationMs } from '../../engine/resources/meta.js';
import { DEFAULT_POLICIES, type DefaultPolicyName } from '../../engine/resources/index.js';
import { forgetInstance, recordInstance } from '../instance-file.js';
import { createLogger } from '../logger.js';
import { startMesh } from '../mesh.js';

export interface UpOptions {
  apiPort?: number;
  /** address of the API (default 127.0.0.1); elsewhere a bearer token is required: $WEIR_API_TOKEN or a random one */
  apiHost?: string;
  stateDir?: string;
  serviceHost: string;
  controller: boolean;
  loadtesterPort?: number;
  /** the user's identity CA: all three or none (then one is made in the state directory) */
  trustAnchor?: string;
  issuerCert?: string;
  issuerKey?: string;
  /** `process` (default): a sidecar process per pod with identity and mTLS; `in-process`: the former in-process inbound proxies */
  sidecars?: string;
  /** lifetime of the sidecars' certificates, a Go duration (default 24h; at least 1s) */
  identityCertLifetime?: string;
  /** port of the controller's `/metrics` (default: a free port) */
  metricsPort?: number;
  /** port of the dashboard (default: a free port) */
  dashboardPort?: number;
  /** false with `--no-dashboard` */
  dashboard?: boolean;
  /** Linkerd's default inbound policy for the whole mesh (`all-unauthenticated` unless given) */
  defaultInboundPolicy?: string;
}

const isPort = (v: number | undefined): boolean => v === undefined || (Number.isInteger(v) && v >= 0 && v < 65536);

/** the three authority files, none, or what is wrong */
function authorityFiles(
  opts: UpOptions,
): { trustAnchor: string; issuerCert: string; issuerKey: string } | undefined | string {
  const given = [opts.trustAnchor, opts.issuerCert, opts.issuerKey];
  if (given.every((v) => v === undefined)) return undefined;
  if (given.some((v) => v === undefined || v === ''))
    return '--trust-anchor, --issuer-cert and --issuer-key go together (all three PEM files, or none)';
  return {
    trustAnchor: resolve(opts.trustAnchor!),
    issuerCert: resolve(opts.issuerCert!),
    issuerKey: resolve(opts.issuerKey!),
  };
}

/** `weir up DIR`: foreground until SIGINT/SIGTERM, then stop every process it started. */
export async function upCommand(dir: string, opts: UpOptions): Promise<number> {
  if (opts.apiPort !== undefined && !(Number.isInteger(opts.apiPort) && opts.apiPort >= 0 && opts.apiPort < 65536)) {
    console.error(`weir up: --api-port must be a port number, got ${String(opts.apiPort)}`);
    return 2;
  }
  for (const [flag, v] of [
    ['--metrics-port', opts.metricsPort],
    ['--dashboard-port', opts.dashboardPort],
  ] as const) {
    if (!isPort(v)) {
      console.error(`weir up: ${flag} must be a port number, got ${String(v)}`);
      return 2;
    }
  }
  if (opts.sidecars !== undefined && opts.sidecars !== 'process' && opts.sidecars !== 'in-process') {
    console.error(`weir up: --sidecars must be process or in-process, got ${JSON.stringify(opts.sidecars)}`);
    return 2;
  }
  let leafLifetimeMs: number | undefined;
  if (opts.identityCertLifetime !== undefined) {
    leafLifetimeMs = parseDurationMs(opts.identityCertLifetime);
    if (leafLifetimeMs === undefined || !(leafLifetimeMs >= 1000)) {
      console.error(
        `weir up: --identity-cert-lifetime must be a Go duration of at least 1s (for example 30s or 24h), got ${JSON.stringify(opts.identityCertLifetime)}`,
      );
      return 2;
    }
  }
  const policy = opts.defaultInboundPolicy;
  if (policy !== undefined && !(DEFAULT_POLICIES as readonly string[]).includes(policy)) {
    console.error(
      `weir up: --default-inbound-policy must be one of ${DEFAULT_POLICIES.join(', ')}, got ${JSON.stringify(policy)}`,
    );
    return 2;
  }
  const files = authorityFiles(opts);
  if (typeof files === 'string') {
    console.error(`weir up: ${files}`);
    return 2;
  }
  const logger = createLogger();
  const apiHost = opts.apiHost ?? '127.0.0.1';
  // off loopback: a bearer token ($WEIR_API_TOKEN or a random one) over TLS with a self-signed certificate
  const remote = !isLoopback(apiHost);
  const apiToken = process.env.WEIR_API_TOKEN || (remote ? randomBytes(24).toString('base64url') : undefined);
  // kubectl sends a token only over TLS: with a token, the API serves HTTPS
  const apiTls = apiToken ? await selfSignedServingCert(apiHost) : undefined;
  let mesh;
  try {
    mesh = await startMesh({
      dir,
      stateDir: opts.stateDir,
      apiPort: opts.apiPort,
      apiHost,
      ...(apiToken ? { apiToken } : {}),
      ...(apiTls ? { apiTls } : {}),
      serviceHost: opts.serviceHost,
      controller: opts.controller,
      logger,
      ...(opts.loadtesterPort !== undefined ? { loadtesterPort: opts.loadtesterPort } : {}),
      ...(files !== undefined ? { authorityFiles: files } : {}),
      ...(leafLifetimeMs !== undefined ? { leafLifetimeMs } : {}),
      ...(opts.sidecars !== undefined ? { sidecars: opts.sidecars as 'process' | 'in-process' } : {}),
      metricsPort: opts.metricsPort ?? 0,
      ...(opts.dashboard !== false ? { dashboardPort: opts.dashboardPort ?? 0 } : {}),
      ...(policy !== undefined ? { defaultInboundPolicy: policy as DefaultPolicyName } : {}),
    });
  } catch (err) {
    // a bad trust anchor or issuer names its file
    if (!(err instanceof AuthorityError)) throw err;
    console.error(`weir up: identity: ${err.message}`);
    return 2;
  }
  // the handlers are in place before the lines below announce the instance: a SIGTERM sent as soon as a
  // line is seen (tests, runtimes) stops it cleanly instead of killing it by the signal's default action
  const stopSignal = new Promise<void>((done) => {
    const stop = (sig: string): void => {
      console.log(`${sig}: stopping`);
      done();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  // kubectl and client libraries: the kubeconfig in the state dir (0600: it may hold the token), written
  // before the API URL is announced so that whoever sees the URL can use it
  const kubeconfig = join(mesh.store.stateDir, 'kubeconfig');
  await writeFileAtomic(
    kubeconfig,
    kubeconfigFor(mesh.api.url, {
      ...(apiToken ? { token: apiToken } : {}),
      ...(apiTls ? { caCert: apiTls.cert } : {}),
    }),
  );
  console.log(`Weir API listening on ${mesh.api.url}`);
  console.log(`export KUBECONFIG=${kubeconfig}`);
  if (mesh.loadtester) console.log(`loadtester listening on ${mesh.loadtester.url}`);
  console.log(`manifests: ${resolve(dir)}  state: ${mesh.store.stateDir}`);
  for (const l of mesh.outbound.listeners()) {
    console.log(`service ${l.namespace}/${l.service} listening on ${l.host}:${l.port}`);
  }
  for (const e of mesh.store.rejected())
    console.error(`rejected: ${e.file ?? ''}${e.doc ? `[${e.doc}]` : ''} ${e.path}: ${e.message}`);
  console.log(`control plane: grpc://${mesh.controlPlane.address}`);
  if (mesh.metricsServer) console.log(`metrics: ${mesh.metricsServer.url}/metrics`);
  if (mesh.dashboard) console.log(`dashboard: ${mesh.dashboard.url}`);
  await recordInstance({ api: mesh.api.url, pid: process.pid, dir: resolve(dir), startedAt: new Date().toISOString() });

  await stopSignal;
  const hardStop = setTimeout(() => {
    console.error('weir up: shutdown took too long, exiting');
    process.exit(1);
  }, 30_000);
  hardStop.unref();
  await mesh.close();
  await forgetInstance(process.pid);
  clearTimeout(hardStop);
  return 0;
}
