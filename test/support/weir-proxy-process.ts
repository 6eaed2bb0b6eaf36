import { spawn, type ChildProcess } from 'node:child_process';
import { WEIR_BIN } from './weir-process.js';

/** A running `weir proxy`, with what it announced on stdout (README, "weir proxy"). */
export interface WeirProxy {
  child: ChildProcess;
  /** `ns/name:port` -> `host:port` */
  outbound: Map<string, string>;
  inboundPort?: number;
  adminPort: number;
  stdout(): string;
  stderr(): string;
  /** resolves when `re` matches the output of `stream` (bounded) */
  waitFor(stream: 'stdout' | 'stderr', re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** resolves with the exit code (bounded; SIGKILL after the bound) */
  exited(timeoutMs?: number): Promise<number | null>;
  /** SIGTERM and wait; SIGKILL if it does not exit in time */
  stop(): Promise<number | null>;
}

/** Start `weir proxy ARGS` from the built `bin/weir.js` and wait for its `ready` line. */
export function startWeirProxy(args: string[], timeoutMs = 20_000): Promise<WeirProxy> {
  return startWeirProxyUntil(args, /^weir proxy: ready/m, timeoutMs);
}

/** Start `weir proxy ARGS` and wait until its stdout matches `until` (its admin line, for one that is not ready). */
export function startWeirProxyUntil(args: string[], until: RegExp, timeoutMs = 20_000): Promise<WeirProxy> {
  const child = spawn(process.execPath, [WEIR_BIN, 'proxy', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '' };
  const waiters = new Set<() => void>();
  const poke = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout.on('data', (d: Buffer) => {
    out.stdout += d.toString();
    poke();
  });
  child.stderr.on('data', (d: Buffer) => {
    out.stderr += d.toString();
    poke();
  });
  // 'close', not 'exit': by then every byte of stdout and stderr has been read
  let closed = false;
  const exit = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      closed = true;
      resolve(code);
      poke();
    }),
  );

  const waitFor = (stream: 'stdout' | 'stderr', re: RegExp, bound = 10_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const m = re.exec(out[stream]);
        if (m !== null) {
          done();
          resolve(m);
        } else if (closed) {
          done();
          reject(new Error(`weir proxy exited before ${String(re)}:\n${out.stdout}\n${out.stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${String(re)} on ${stream} within ${bound} ms:\n${out.stdout}\n${out.stderr}`));
      }, bound);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const exited = async (bound = 20_000): Promise<number | null> => {
    const timer = setTimeout(() => child.kill('SIGKILL'), bound);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  };

  return waitFor('stdout', until, timeoutMs).then(
    () => {
      const outbound = new Map<string, string>();
      for (const m of out.stdout.matchAll(/^weir proxy: outbound (\S+) on (\S+)$/gm))
        outbound.set(m[1] as string, m[2] as string);
      const inbound = /^weir proxy: inbound on 127\.0\.0\.1:(\d+) -> app /m.exec(out.stdout);
      const admin = /^weir proxy: admin on 127\.0\.0\.1:(\d+)$/m.exec(out.stdout);
      return {
        child,
        outbound,
        ...(inbound !== null ? { inboundPort: Number(inbound[1]) } : {}),
        adminPort: Number(admin?.[1]),
        stdout: () => out.stdout,
        stderr: () => out.stderr,
        waitFor,
        exited,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          return exited();
        },
      };
    },
    (err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    },
  );
}
