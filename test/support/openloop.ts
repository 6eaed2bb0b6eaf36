import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, readFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ROOT } from './weir-process.js';

/**
 * `bench/openloop.c`, the fixed-rate HTTP/1.1 client in C, as the tests' load: it costs the machine about 0.07 ms
 * of CPU per request (mostly the kernel's socket work) where a Node client costs 0.6-0.8 ms, so that the load the
 * reliability tests ask for is carried by the proxies rather than spent in the client. Compiled with gcc
 * once per version of the source, into the system's temporary folder.
 */
const SOURCE = join(ROOT, 'bench', 'openloop.c');

let built: Promise<string> | undefined;

export function openloopBinary(): Promise<string> {
  built ??= (async () => {
    const source = await readFile(SOURCE);
    const bin = join(tmpdir(), `weir-openloop-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
    try {
      await access(bin);
      return bin;
    } catch {
      // not built yet
    }
    const partial = `${bin}.${process.pid}.tmp`;
    try {
      await promisify(execFile)('gcc', ['-O2', '-o', partial, SOURCE], { timeout: 60_000 });
    } catch (err) {
      throw new Error(`cannot compile ${SOURCE} with gcc (the tests' HTTP/1.1 load; apt package gcc): ${String(err)}`);
    }
    await rename(partial, bin);
    return bin;
  })();
  return built;
}

export interface OpenloopOptions {
  port: number;
  path?: string;
  /** requests per second */
  rate: number;
  /**
   * connections at most, opened when a request finds none idle (as a client's pool does); with
   * `newConnectionPerRequest`, at most this many requests at once, each on a connection opened when it is due
   */
  connections: number;
  newConnectionPerRequest?: boolean;
  /** a kept-alive connection idle this long is closed rather than reused (undici's default: 4 s) */
  idleMs?: number;
  /** a request in flight longer than this fails as `timeout` */
  timeoutMs: number;
  /** count the answers by this response header's value */
  countHeader?: string;
}

/** What openloop printed at the end (see the comment at the top of bench/openloop.c). */
export interface OpenloopResult {
  secs: number;
  sent: number;
  ok: number;
  failed: number;
  failures: Record<string, number>;
  unsent: number;
  connections: number;
  connect_failures: number;
  versions: Record<string, number>;
  p50_us: number;
  p99_us: number;
  max_us: number;
}

export interface OpenloopProgress {
  secs: number;
  sent: number;
  ok: number;
  failed: number;
  queued: number;
}

export interface OpenloopRun {
  /** the last progress line (one a second) */
  progress(): OpenloopProgress;
  onProgress(listener: (p: OpenloopProgress) => void): void;
  /** SIGTERM: no new request; those in flight are awaited (at most the timeout), then the counts */
  stop(): Promise<OpenloopResult>;
}

/** Start openloop until `stop()`, sending from the moment it is called. */
export async function startOpenloop(o: OpenloopOptions): Promise<OpenloopRun> {
  const bin = await openloopBinary();
  const args = ['-p', String(o.port), '-u', o.path ?? '/', '-r', String(o.rate), '-d', '0', '-w', '0'];
  args.push('-L', '-i', String(o.idleMs ?? 4_000), '-c', String(o.connections), '-T', String(o.timeoutMs));
  args.push('-t', String(o.timeoutMs / 1000 + 2), '-P', '1');
  if (o.newConnectionPerRequest) args.push('-k');
  if (o.countHeader) args.push('-V', o.countHeader);
  const child: ChildProcess = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let last: OpenloopProgress = { secs: 0, sent: 0, ok: 0, failed: 0, queued: 0 };
  let result: OpenloopResult | undefined;
  let stderr = '';
  const listeners: Array<(p: OpenloopProgress) => void> = [];
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const j = JSON.parse(line) as OpenloopProgress & { progress?: boolean };
    if (j.progress) {
      last = j;
      for (const l of listeners) l(j);
    } else result = j as unknown as OpenloopResult;
  });
  // 'close': the process has exited and its output has been read to the end
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return {
    progress: () => last,
    onProgress: (l) => listeners.push(l),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const bound = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs + 10_000);
      const code = await exited;
      clearTimeout(bound);
      if (code !== 0 || !result) throw new Error(`openloop ${args.join(' ')} ended with ${String(code)}: ${stderr}`);
      return result;
    },
  };
}
