import { spawn, type ChildProcess } from 'node:child_process';
import { podLabelsFlag } from './proxy/pod-labels.js';
import { createWriteStream, mkdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { podPort } from '../controlplane/runtime/net.js';
import { ProcessLedger } from '../controlplane/runtime/process-ledger.js';
import type { Sidecar, SidecarContainerStatus, SidecarFactory, SidecarPod } from '../controlplane/runtime/types.js';
import type { Logger } from './logger.js';
import type { MeshIdentity } from './mesh-identity.js';
import { projectRoot } from './project-root.js';

export interface SidecarProcessesOptions {
  /** `127.0.0.1:PORT` of the control plane's gRPC API */
  controlPlane: string;
  /** sidecars' tokens, trust anchors, logs (`logs/NS_POD.proxy.log`) and process ledger go here */
  stateDir: string;
  identity: MeshIdentity;
  /** where `weir up` listens for Services (what the app may call them by) */
  serviceHost: string;
  logger: Logger;
  /** a sidecar's first `ready` line (certified, configured): default 30 s */
  readyTimeoutMs?: number;
  /** `--identity-min-refresh` of every sidecar (default: the proxy's, 10 s); lower with short certificates */
  identityMinRefreshMs?: number;
  /** restart back-off after a sidecar died: doubles from initialMs up to maxMs; default 1 s to 10 s */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** The factory, and a way to stop every sidecar it started (on `weir up`'s way out). */
export interface SidecarProcesses {
  factory: SidecarFactory;
  close(): Promise<void>;
}

const STOP_MS = 15_000;

/**
 * A `weir proxy` process per pod, as a sidecar container on a cluster: configured by the control plane, its
 * inbound side in front of the app, its outbound side behind a forward proxy for the app (`HTTP_PROXY`), its own
 * admin port and metrics labelled with the pod, and a certificate for the pod's service account got with a token
 * the runtime issues (revoked when the pod goes). A sidecar that dies is restarted with back-off on the same
 * ports; meanwhile it reports itself down, and its pod is not ready.
 */
export function sidecarProcesses(options: SidecarProcessesOptions): SidecarProcesses {
  const dir = join(options.stateDir, 'sidecars');
  const logDir = join(options.stateDir, 'logs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  mkdirSync(logDir, { recursive: true });
  const ledger = new ProcessLedger(join(options.stateDir, 'sidecar-processes.json'));
  const reaped = ledger.reapLeftovers();
  if (reaped > 0) options.logger.warn(`stopped ${reaped} sidecar(s) left running by a previous run`);
  const anchors = join(dir, 'trust-anchors.pem');
  const anchorsWritten = writeFile(anchors, options.identity.trustAnchorsPem, { mode: 0o600 });
  const running = new Set<ChildProcess>();
  // every sidecar from the moment it is asked for, ready or still starting: close() stops them all
  const stops = new Set<() => Promise<void>>();
  let closed = false;
  const exitHook = (): void => {
    for (const c of running) c.kill('SIGKILL');
  };
  process.on('exit', exitHook);
  const bin = join(projectRoot(), 'bin', 'weir.js');

  const factory: SidecarFactory = async (pod: SidecarPod): Promise<Sidecar> => {
    if (closed) throw new SidecarsClosed(pod);
    await anchorsWritten;
    const id = `${pod.namespace}_${pod.name}`;
    const tokenFile = join(dir, `${id}.token`);
    const token = options.identity.tokens.issue({ namespace: pod.namespace, serviceAccount: pod.serviceAccount });
    await writeFile(tokenFile, token, { mode: 0o600 });
    const log = createWriteStream(join(logDir, `${id}.proxy.log`), { flags: 'a' });
    log.on('error', () => {});
    // outside the ephemeral range, kept across restarts: a port a dead sidecar left cannot be taken meanwhile as
    // the source port of some outgoing connection (controlplane/runtime/net.ts `podPort`)
    const ports = { inbound: await podPort(), admin: await podPort(), outboundProxy: await podPort() };
    const healthListeners = new Set<(up: boolean) => void>();
    let child: ChildProcess | undefined;
    let stopped = false;
    let backoffMs = options.backoff?.initialMs ?? 1000;
    let restartTimer: NodeJS.Timeout | undefined;
    // what the Pod shows of this container (containerStatuses[] `weir-proxy`), as the kubelet counts
    let up = false;
    let restartCount = 0;
    let startedAt = new Date().toISOString();
    let waiting: { reason: string; message: string } | undefined;
    let lastTermination: Record<string, unknown> | undefined;

    const args = (): string[] => [
      'proxy',
      '--control-plane', options.controlPlane,
      '--namespace', pod.namespace,
      '--deployment', pod.deployment,
      '--pod', pod.name,
      '--pod-labels', podLabelsFlag(pod.labels),
      ...(pod.lane !== undefined ? ['--lane', pod.lane] : []),
      '--service-account', pod.serviceAccount,
      '--identity-token-file', tokenFile,
      '--trust-anchors', anchors,
      '--app-port', String(pod.appPort),
      '--inbound-port', String(ports.inbound),
      '--admin-port', String(ports.admin),
      '--outbound-proxy-port', String(ports.outboundProxy),
      '--service-host', options.serviceHost,
      ...(options.identityMinRefreshMs !== undefined
        ? ['--identity-min-refresh', `${options.identityMinRefreshMs}ms`]
        : []),
    ]; // prettier-ignore

    /** one run: resolves once it printed its ready line, rejects if it exits or times out first */
    const run = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        log.write(`${new Date().toISOString()} --- starting weir ${args().join(' ')}\n`);
        const c = spawn(process.execPath, [bin, ...args()], { stdio: ['ignore', 'pipe', 'pipe'] });
        child = c;
        startedAt = new Date().toISOString();
        waiting = undefined;
        running.add(c);
        if (c.pid !== undefined) ledger.add(c.pid);
        let out = '';
        let ready = false;
        const timer = setTimeout(() => {
          c.kill('SIGKILL');
          reject(
            new Error(
              `sidecar of ${pod.namespace}/${pod.name}: not ready within ${options.readyTimeoutMs ?? 30_000} ms`,
            ),
          );
        }, options.readyTimeoutMs ?? 30_000);
        c.stdout!.on('data', (d: Buffer) => {
          log.write(d);
          if (ready) return;
          out += d.toString();
          const m = (re: RegExp) => re.exec(out)?.[1];
          if (/^weir proxy: ready /m.test(out)) {
            ports.inbound = Number(m(/^weir proxy: inbound on 127\.0\.0\.1:(\d+) /m));
            ports.admin = Number(m(/^weir proxy: admin on 127\.0\.0\.1:(\d+)$/m));
            ports.outboundProxy = Number(m(/^weir proxy: outbound proxy on 127\.0\.0\.1:(\d+)$/m));
            ready = true;
            clearTimeout(timer);
            resolve();
          }
        });
        c.stderr!.on('data', (d: Buffer) => log.write(d));
        c.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        c.once('exit', (code, signal) => {
          running.delete(c);
          up = false;
          lastTermination = {
            exitCode: code ?? 137,
            reason: code === 0 ? 'Completed' : 'Error',
            startedAt,
            finishedAt: new Date().toISOString(),
            ...(signal ? { signal } : {}),
          };
          if (c.pid !== undefined) ledger.remove(c.pid);
          log.write(
            `${new Date().toISOString()} --- sidecar ${signal ? `killed by ${signal}` : `exited with code ${code}`}\n`,
          );
          clearTimeout(timer);
          if (!ready)
            reject(new Error(`sidecar of ${pod.namespace}/${pod.name} exited before it was ready (${signal ?? code})`));
          else if (!stopped) died();
        });
      });

    const tell = (isUp: boolean): void => {
      up = isUp;
      for (const l of healthListeners) l(isUp);
    };
    /** a sidecar that dies is restarted like a container: back-off, same ports; down meanwhile */
    const died = (): void => {
      tell(false);
      const delay = backoffMs;
      backoffMs = Math.min(backoffMs * 2, options.backoff?.maxMs ?? 10_000);
      waiting = { reason: 'CrashLoopBackOff', message: `back-off ${delay} ms restarting failed container weir-proxy` };
      options.logger.warn(`${pod.namespace}/${pod.name}: sidecar exited; restarting in ${delay} ms`);
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (stopped) return;
        restartCount++;
        run().then(
          () => {
            if (stopped) return;
            backoffMs = options.backoff?.initialMs ?? 1000;
            tell(true);
          },
          (err: unknown) => {
            options.logger.warn(`${pod.namespace}/${pod.name}: ${(err as Error).message}`);
            if (!stopped) died();
          },
        );
      }, delay);
    };

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= stopOnce());
    const stopOnce = async (): Promise<void> => {
      stopped = true;
      stops.delete(stop);
      clearTimeout(restartTimer);
      const c = child;
      if (c && c.exitCode === null && c.signalCode === null) {
        const exited = new Promise<void>((r) => c.once('exit', () => r()));
        c.kill('SIGTERM');
        const kill = setTimeout(() => c.kill('SIGKILL'), STOP_MS);
        await exited;
        clearTimeout(kill);
      }
      options.identity.tokens.revoke(token);
      await rm(tokenFile, { force: true });
      await new Promise<void>((r) => log.end(r));
    };

    try {
      // asked for while weir up was stopping: started after close() would outlive it (until its ready timeout)
      if (closed) throw new SidecarsClosed(pod);
      stops.add(stop);
      await run();
      if (stopped) throw new SidecarsClosed(pod);
      up = true;
    } catch (err) {
      await stop();
      throw err;
    }
    const status = (): SidecarContainerStatus => ({
      ready: up,
      started: child !== undefined && child.exitCode === null && child.signalCode === null,
      restartCount,
      state: waiting !== undefined ? { waiting: { ...waiting } } : { running: { startedAt } },
      ...(lastTermination !== undefined ? { lastState: { terminated: { ...lastTermination } } } : {}),
    });
    const sidecar: Sidecar = {
      status,
      inboundPort: ports.inbound,
      adminPort: ports.admin,
      outboundProxy: `127.0.0.1:${ports.outboundProxy}`,
      meshed: true,
      onHealth: (listener) => {
        healthListeners.add(listener);
      },
      close: stop,
    };
    return sidecar;
  };

  return {
    factory,
    close: async () => {
      closed = true;
      await Promise.allSettled([...stops].map((stop) => stop()));
      process.off('exit', exitHook);
    },
  };
}

class SidecarsClosed extends Error {
  constructor(pod: SidecarPod) {
    super(`sidecar of ${pod.namespace}/${pod.name}: not started, weir up is stopping`);
  }
}
