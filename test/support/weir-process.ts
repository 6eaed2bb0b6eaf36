import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { podPort } from '../../controlplane/runtime/net.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const WEIR_BIN = join(ROOT, 'bin', 'weir.js');
export const SAMPLE_APP = join(ROOT, 'dist', 'samples', 'app', 'server.js');
export const SAMPLE_GREETER = join(ROOT, 'dist', 'samples', 'app', 'greeter.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built `weir` command to completion (bounded). */
export function runWeir(args: string[], env: Record<string, string> = {}, timeoutMs = 45_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEIR_BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`weir ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface WeirUp {
  child: ChildProcess;
  api: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Start `weir up DIR ...` in the background and wait for the API URL line. */
export function startWeirUp(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<WeirUp> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WEIR_BIN, 'up', ...args], {
      env: { ...process.env, WEIR_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /API listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          child,
          api: m[1]!,
          output: () => out,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null) return done(child.exitCode);
              const kill = setTimeout(() => child.kill('SIGKILL'), 45_000);
              child.once('exit', (code) => {
                clearTimeout(kill);
                done(code);
              });
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`weir up exited early (${String(code)}):\n${out}`)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`weir up did not print its API URL within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
  });
}

/**
 * A free port for something to listen on later (a Service port in manifests): outside the ephemeral range, where
 * no client connection can take it meanwhile (controlplane/runtime/net.ts `podPort`).
 */
export function freePort(): Promise<number> {
  return podPort();
}

/** Poll until `probe` returns a value, or fail after `timeoutMs`. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
