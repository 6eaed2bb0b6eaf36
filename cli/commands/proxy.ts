import { FileConfigSource, MeshFileError, type FileReload } from '../../controlplane/discovery/index.js';
import {
  startInboundProxy,
  startOutboundProxy,
  type InboundProxy,
  type ListenerInfo,
  type OutboundProxy,
} from '../../proxy/index.js';
import { startProcessAdmin, type AdminSide, type ProcessAdmin } from '../proxy/admin-port.js';

/** as given on the command line */
export interface ProxyOptions {
  config: string;
  inboundPort?: string;
  appPort?: string;
  adminPort?: string;
  outboundHost: string;
  namespace?: string;
  pod?: string;
  deployment?: string;
  /** OTLP/HTTP collector for the spans of sampled requests */
  traceCollector?: string;
}

interface Ports {
  inbound?: number;
  app?: number;
  admin?: number;
}

const HOST = '127.0.0.1';
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

/** the port flags as numbers, or what is wrong with them */
function ports(opts: ProxyOptions): Ports | string {
  const out: Ports = {};
  const flags: Array<[keyof Ports, string, string | undefined, number]> = [
    ['app', '--app-port', opts.appPort, 1],
    ['inbound', '--inbound-port', opts.inboundPort, 0],
    ['admin', '--admin-port', opts.adminPort, 0],
  ];
  for (const [key, flag, v, min] of flags) {
    if (v === undefined) continue;
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > 65535) return `${flag} must be a port number, got ${JSON.stringify(v)}`;
    out[key] = n;
  }
  if (opts.traceCollector !== undefined && !/^https?:\/\/[^/]+/.test(opts.traceCollector))
    return `--trace-collector must be an http(s) URL, got ${JSON.stringify(opts.traceCollector)}`;
  if (out.inbound !== undefined && out.app === undefined)
    return '--inbound-port needs --app-port (the inbound side runs in front of a local app)';
  return out;
}

/**
 * `weir proxy --config FILE`: one sidecar proxy as a process of its own. The outbound side routes by the
 * mesh in FILE (followed as it changes); with `--app-port` the inbound side runs in front of the local
 * app; one admin port serves both. SIGINT, SIGTERM and `POST /shutdown` drain and exit 0.
 */
export async function proxyCommand(opts: ProxyOptions): Promise<number> {
  const port = ports(opts);
  if (typeof port === 'string') {
    warn(port);
    return 2;
  }
  const workload = { namespace: opts.namespace, deployment: opts.deployment, pod: opts.pod };
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
    for (const [name, l] of now) if (!known.has(name)) say(`outbound ${name} on ${l.host}:${l.port}`);
    for (const name of known.keys()) if (!now.has(name)) say(`outbound ${name} closed`);
    known = now;
  };
  const onReload = (r: FileReload): void => {
    for (const w of r.warnings) warn(`warning: ${w}`);
    if (!r.ok) {
      for (const e of r.errors) warn(`config rejected: ${e}`);
      warn(`config rejected: keeping version ${r.version}`);
      return;
    }
    void outbound?.settled().then(() => {
      announceListeners();
      say(`config ${r.file} applied (version ${r.version}, ${r.objects} objects)`);
    });
  };

  let source: FileConfigSource;
  try {
    source = await FileConfigSource.open(opts.config, { onReload });
  } catch (err) {
    if (!(err instanceof MeshFileError)) throw err;
    for (const w of err.warnings) warn(`warning: ${w}`);
    for (const e of err.errors) warn(`config rejected: ${e}`);
    return 2;
  }
  for (const w of source.initial.warnings) warn(`warning: ${w}`);

  let inbound: InboundProxy | undefined;
  let admin: ProcessAdmin | undefined;
  let draining = false;
  const close = async (): Promise<void> => {
    source.close();
    await Promise.all([outbound?.close({ drainMs: DRAIN_MS }), inbound?.close({ drainMs: DRAIN_MS })]);
    await admin?.close();
  };
  try {
    outbound = await startOutboundProxy({
      configSource: source,
      host: opts.outboundHost,
      ...workload,
      ...tracing,
      onError: (err) => warn(`outbound: ${err.message}`),
      onShutdown: () => stop('/shutdown'),
    });
    if (port.app !== undefined) {
      inbound = await startInboundProxy({
        appHost: HOST,
        appPort: port.app,
        listenHost: HOST,
        listenPort: port.inbound ?? 0,
        ...workload,
        ...tracing,
        onShutdown: () => stop('/shutdown'),
      });
    }
    const sides: AdminSide[] = [{ name: 'outbound', adminPort: outbound.adminPort }];
    if (inbound !== undefined) sides.push({ name: 'inbound', adminPort: inbound.adminPort });
    admin = await startProcessAdmin({
      host: HOST,
      port: port.admin ?? 0,
      sides: () => sides,
      ready: () => !draining,
      config: () => ({ file: source.file, version: source.current().version, workload }),
      shutdown: () => stop('/shutdown'),
    });
  } catch (err) {
    warn(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
    await close();
    return 1;
  }

  await outbound.settled();
  announceListeners();
  if (inbound !== undefined) say(`inbound on ${HOST}:${inbound.port} -> app ${HOST}:${String(port.app)}`);
  say(`admin on ${HOST}:${admin.port}`);
  say(`ready (config ${source.file}, version ${source.current().version})`);

  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
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
