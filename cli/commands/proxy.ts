import { parsePodLabels } from '../proxy/pod-labels.js';
import {
  startInboundProxy,
  startOutboundProxy,
  type InboundProxy,
  type ListenerInfo,
  type OutboundProxy,
} from '../../proxy/index.js';
import { startProcessAdmin, type AdminSide, type ProcessAdmin } from '../proxy/admin-port.js';
import {
  checkOrigin,
  openControlPlaneOrigin,
  openFileOrigin,
  type ConfigOrigin,
  type OriginHooks,
} from '../proxy/config-origin.js';
import { startForwardProxy, type ForwardProxy } from '../proxy/forward-proxy.js';
import { GrpcEgressSource } from '../../proxy/control/grpc-egress-source.js';
import { EgressMetrics } from '../../proxy/egress/metrics.js';
import { openPolicyOrigin, type PolicyOrigin } from '../proxy/policy-origin.js';
import { checkIdentityFlags, openWorkloadIdentity } from '../proxy/workload-identity-origin.js';
import type { WorkloadIdentity } from '../../proxy/identity/workload-identity.js';
import { TapHub } from '../../proxy/tap/hub.js';

/** as given on the command line */
export interface ProxyOptions {
  /** exactly one of `config` (a mesh file) and `controlPlane` (`host:port` of the gRPC API) */
  config?: string;
  controlPlane?: string;
  inboundPort?: string;
  appPort?: string;
  adminPort?: string;
  outboundHost: string;
  namespace?: string;
  pod?: string;
  deployment?: string;
  /** OTLP/HTTP collector for the spans of sampled requests */
  traceCollector?: string;
  /** with `identityTokenFile`: the identity `<serviceAccount>.<namespace>.serviceaccount.identity.weir.cluster.local` */
  serviceAccount?: string;
  /** the token proving the workload to the control plane's Identity API; turns mTLS on */
  identityTokenFile?: string;
  /** PEM roots the certificates are checked against */
  trustAnchors?: string;
  /** the inbound side refuses clients that prove no mesh identity */
  requireIdentity?: boolean;
  /** the shortest wait before renewing the certificate, a Go duration (default 10s) */
  identityMinRefresh?: string;
  /** serve the app's HTTP_PROXY here (0: a free port); the Service listeners then take free ports */
  outboundProxyPort?: string;
  /** where `weir up` listens for Services without a cluster IP (what the forward proxy maps from) */
  serviceHost?: string;
  /** `key=value,...`: the pod's labels, which source-label route rules select on */
  podLabels?: string;
  /** `<namespace>/<release>`: the pod is a canary of a coordinated release (engine/canary/release.ts) */
  lane?: string;
}

interface Ports {
  outboundProxy?: number;
  inbound?: number;
  app?: number;
  admin?: number;
}

const HOST = '127.0.0.1';
/** `--lane`: a namespace and a release name, each a DNS label */
const LANE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\/[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** how long in-flight requests may take to finish once the process is told to stop */
const DRAIN_MS = 10_000;

/** stdout: the lines a runtime parses (README, "weir proxy") */
function say(line: string): void {
  process.stdout.write(`weir proxy: ${line}\n`);
}

function warn(line: string): void {
  process.stderr.write(`weir proxy: ${line}\n`);
}

function listenerName(l: ListenerInfo): string {
  return `${l.namespace}/${l.service}:${l.port}`;
}

/** Linkerd's proxy identity metrics: certificates obtained so far, and when the one in use expires */
function identityMetrics(identity: WorkloadIdentity, refreshes: number): string {
  const current = identity.current();
  return [
    '# HELP identity_cert_refresh_count The number of certificates this proxy got from the identity service.',
    '# TYPE identity_cert_refresh_count counter',
    `identity_cert_refresh_count ${refreshes}`,
    ...(current !== undefined
      ? [
          '# HELP identity_cert_expiration_timestamp_seconds When the certificate in use expires.',
          '# TYPE identity_cert_expiration_timestamp_seconds gauge',
          `identity_cert_expiration_timestamp_seconds ${current.notAfter / 1000}`,
        ]
      : []),
    '',
  ].join('\n');
}

/** the port flags as numbers, or what is wrong with them */
function ports(opts: ProxyOptions): Ports | string {
  const out: Ports = {};
  const flags: Array<[keyof Ports, string, string | undefined, number]> = [
    ['app', '--app-port', opts.appPort, 1],
    ['inbound', '--inbound-port', opts.inboundPort, 0],
    ['admin', '--admin-port', opts.adminPort, 0],
    ['outboundProxy', '--outbound-proxy-port', opts.outboundProxyPort, 0],
  ];
  for (const [key, flag, v, min] of flags) {
    if (v === undefined) continue;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > 65535) return `${flag} must be a port number, got ${JSON.stringify(v)}`;
    out[key] = n;
  }
  if (opts.traceCollector !== undefined && !/^https?:\/\/[^/]+/.test(opts.traceCollector))
    return `--trace-collector must be an http(s) URL, got ${JSON.stringify(opts.traceCollector)}`;
  const origin = checkOrigin(opts);
  if (origin !== undefined) return origin;
  const identity = checkIdentityFlags(opts);
  if (identity !== undefined) return identity;
  if (opts.lane !== undefined && !LANE.test(opts.lane))
    return `--lane must be <namespace>/<release> (two DNS labels), got ${JSON.stringify(opts.lane)}`;
  if (out.inbound !== undefined && out.app === undefined)
    return '--inbound-port needs --app-port (the inbound side runs in front of a local app)';
  return out;
}

/**
 * `weir proxy --config FILE | --control-plane HOST:PORT`: one sidecar proxy as a process of its own. The
 * outbound side routes by the mesh in FILE, or the one the control plane serves (followed as it changes); with `--app-port` the inbound side runs in front of the local
 * app; one admin port serves both. SIGINT, SIGTERM and `POST /shutdown` drain and exit 0.
 */
export async function proxyCommand(opts: ProxyOptions): Promise<number> {
  const port = ports(opts);
  if (typeof port === 'string') {
    warn(port);
    return 2;
  }
  const podLabels = parsePodLabels(opts.podLabels);
  if (typeof podLabels === 'string') {
    warn(podLabels);
    return 2;
  }
  const workload = { namespace: opts.namespace, deployment: opts.deployment, pod: opts.pod };
  // one tap for the process: both sides feed it, the admin port serves it (GET /tap)
  const tap = new TapHub(workload);
  const tracing =
    opts.traceCollector === undefined
      ? {}
      : { tracing: { collector: opts.traceCollector, serviceName: opts.deployment ?? 'weir-proxy' } };
  let outbound: OutboundProxy | undefined;
  let known = new Map<string, ListenerInfo>();
  let stop: (reason: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => (stop = resolve));

  /** the outbound side's listeners after a change: the new ones announced, the gone ones too */
  const announceListeners = (): void => {
    const now = new Map((outbound?.listeners() ?? []).map((l) => [listenerName(l), l]));
    for (const [name, l] of now) if (!known.has(name)) say(`outbound ${name} on ${l.host}:${l.listenPort}`);
    for (const name of known.keys()) if (!now.has(name)) say(`outbound ${name} closed`);
    known = now;
  };
  const hooks: OriginHooks = {
    say,
    warn,
    settled: () => outbound?.settled() ?? Promise.resolve(),
    announceListeners,
  };

  let identity: WorkloadIdentity | undefined;
  if (opts.identityTokenFile !== undefined) {
    try {
      identity = await openWorkloadIdentity(
        {
          ...opts,
          identityTokenFile: opts.identityTokenFile,
          trustAnchors: opts.trustAnchors!,
          controlPlane: opts.controlPlane!,
        },
        (err) => warn(err.message),
      );
    } catch (err) {
      warn((err as Error).message);
      return 2;
    }
  }
  // the identity is asked for first: its key, CSR and certificate are made while the configuration comes
  const origin: ConfigOrigin | undefined =
    opts.controlPlane !== undefined
      ? await openControlPlaneOrigin(opts.controlPlane, workload, hooks)
      : await openFileOrigin(opts.config!, hooks);
  if (origin === undefined) {
    identity?.close();
    return 2;
  }
  const source = origin.source;
  const identityOptions = identity !== undefined ? { identity } : {};
  // certificates obtained (the first included), as linkerd2-proxy's identity_cert_refresh_count
  let refreshes = identity?.current() !== undefined ? 1 : 0;
  identity?.onUpdate((m) => {
    refreshes++;
    if (refreshes > 1) say(`identity ${m.identity} renewed (valid until ${new Date(m.notAfter).toISOString()})`);
  });

  // egress: the EgressNetworks of the pod's namespace, from the control plane (with a file: not controlled)
  const egressMetrics = new EgressMetrics();
  const egressSource =
    opts.controlPlane !== undefined && port.outboundProxy !== undefined
      ? new GrpcEgressSource({
          address: opts.controlPlane,
          namespace: opts.namespace ?? 'default',
          ...(opts.pod !== undefined ? { pod: opts.pod } : {}),
          onRejected: (errors) => warn(`egress policy rejected: ${errors.join('; ')}`),
          onApplied: (p) => say(`egress policy applied (${p.networks.length} EgressNetworks)`),
        })
      : undefined;
  // the inbound side enforces its port's policy from the control plane (InboundServerPolicies)
  const policy: PolicyOrigin | undefined =
    opts.controlPlane !== undefined && opts.pod !== undefined && port.app !== undefined
      ? openPolicyOrigin(
          opts.controlPlane,
          { namespace: opts.namespace ?? 'default', pod: opts.pod, appPort: port.app },
          warn,
        )
      : undefined;

  let inbound: InboundProxy | undefined;
  let forward: ForwardProxy | undefined;
  let admin: ProcessAdmin | undefined;
  let draining = false;
  const close = async (): Promise<void> => {
    origin.close();
    identity?.close();
    egressSource?.close();
    policy?.close();
    await Promise.all([
      forward?.close(),
      outbound?.close({ drainMs: DRAIN_MS }),
      inbound?.close({ drainMs: DRAIN_MS }),
    ]);
    await admin?.close();
  };
  try {
    outbound = await startOutboundProxy({
      configSource: source,
      host: opts.outboundHost,
      ...workload,
      ...(podLabels !== undefined ? { workloadLabels: podLabels } : {}),
      ...(opts.lane !== undefined ? { lane: opts.lane } : {}),
      ...tracing,
      ...identityOptions,
      ...(port.outboundProxy !== undefined ? { ephemeralPorts: true } : {}),
      tap,
      onError: (err) => warn(`outbound: ${err.message}`),
      onShutdown: () => stop('/shutdown'),
    });
    if (port.outboundProxy !== undefined) {
      const out = outbound;
      forward = await startForwardProxy({
        host: HOST,
        port: port.outboundProxy,
        listeners: () => out.listeners(),
        services: () => source.current().services,
        namespace: opts.namespace ?? 'default',
        serviceHost: opts.serviceHost ?? HOST,
        ...(egressSource !== undefined
          ? {
              egress: {
                source: egressSource,
                metrics: egressMetrics,
                onAudit: warn,
                isMeshAddress: (ip: string, p: number) =>
                  source.current().endpoints.some((s) => s.endpoints.some((e) => e.address === ip && e.port === p)),
              },
            }
          : {}),
      });
    }
    if (port.app !== undefined) {
      inbound = await startInboundProxy({
        appHost: HOST,
        appPort: port.app,
        listenHost: HOST,
        listenPort: port.inbound ?? 0,
        ...workload,
        ...tracing,
        ...identityOptions,
        ...(opts.requireIdentity === true ? { requireIdentity: true } : {}),
        tap,
        ...(policy !== undefined ? { policy: policy.source } : {}),
        onShutdown: () => stop('/shutdown'),
      });
    }
    const sides: AdminSide[] = [{ name: 'outbound', adminPort: outbound.adminPort }];
    if (inbound !== undefined) sides.push({ name: 'inbound', adminPort: inbound.adminPort });
    admin = await startProcessAdmin({
      host: HOST,
      port: port.admin ?? 0,
      sides: () => sides,
      // the process's own metrics: its identity's (certificates) and egress's
      metrics: () => (identity !== undefined ? identityMetrics(identity, refreshes) : '') + egressMetrics.render(),
      // not ready until certified: a sidecar without its certificate cannot take meshed traffic
      ready: () =>
        !draining && (identity === undefined || identity.current() !== undefined) && (policy?.received() ?? true),
      config: () => ({
        ...origin.describe(),
        workload,
        ...(identity !== undefined ? { identity: identity.current()?.identity ?? null } : {}),
        ...(policy !== undefined ? { inboundPolicy: policy.describe() } : {}),
      }),
      shutdown: () => stop('/shutdown'),
      tap,
    });
  } catch (err) {
    warn(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
    await close();
    return 1;
  }

  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await outbound.settled();
  // the pod's egress policy before ready: the app's first calls out are already under it
  if (egressSource !== undefined) await Promise.race([egressSource.ready(), stopped]);
  announceListeners();
  if (forward !== undefined) say(`outbound proxy on ${HOST}:${forward.port}`);
  if (inbound !== undefined) say(`inbound on ${HOST}:${inbound.port} -> app ${HOST}:${String(port.app)}`);
  say(`admin on ${HOST}:${admin.port}`);
  if (identity !== undefined) {
    // the ready line only once certified (stderr says why meanwhile); a signal still stops the wait
    const certified = await Promise.race([identity.ready().then(() => true), stopped.then(() => false)]);
    if (!certified) {
      await close();
      say('stopped');
      return 0;
    }
    say(`identity ${identity.current()?.identity ?? ''} certified`);
  }
  if (policy !== undefined) {
    // enforcing from the first request: not ready before the port's policy came (a signal still stops the wait)
    const got = await Promise.race([policy.ready().then(() => true), stopped.then(() => false)]);
    if (!got) {
      await close();
      say('stopped');
      return 0;
    }
  }
  say(`ready (${origin.label}, version ${source.current().version})`);
  origin.started();

  const reason = await stopped;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  draining = true;
  say(`draining (${reason})`);
  const hardStop = setTimeout(() => {
    warn('shutdown took too long, exiting');
    process.exit(1);
  }, DRAIN_MS + 5_000);
  hardStop.unref();
  await close();
  clearTimeout(hardStop);
  say('stopped');
  return 0;
}
