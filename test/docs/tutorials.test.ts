import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docSteps, type DocStep } from '../support/doc-commands.js';
import { freePort, ROOT, WEIR_BIN } from '../support/weir-process.js';

/**
 * Each tutorial is run as a new user runs it: its sh blocks in order (see test/support/doc-commands.ts for
 * the directives), from a fresh copy of Weir's folder layout (samples/ and package.json copied; dist/, bin/ and node_modules/ linked) in a temporary
 * folder, with `weir` on PATH (as after `npm link`). The ports the docs use (9898, 9899, 8765) are replaced by free ones, in the
 * commands and in the copied samples, so that the test can run beside anything else on the machine.
 */
const DOCS = [
  'README.md',
  'docs/tutorials/canary.md',
  'docs/tutorials/ab-testing.md',
  'docs/tutorials/blue-green.md',
  'docs/tutorials/mirroring.md',
  'docs/tutorials/ci-cd.md',
];
const DOC_PORTS = [9898, 9899, 8765];
// generous: a step may hold two `weir wait --timeout 5m` on a machine shared by many
const STEP_TIMEOUT_MS = 660_000;
const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;

interface Workspace {
  dir: string;
  env: NodeJS.ProcessEnv;
  ports: Map<string, string>;
}

function withPorts(text: string, ports: Map<string, string>): string {
  return text.replace(/\b(9898|9899|8765)\b/g, (p) => ports.get(p) ?? p);
}

async function rewriteTree(dir: string, ports: Map<string, string>): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await rewriteTree(p, ports);
    else if (/\.(ya?ml|sh)$/.test(e.name)) await writeFile(p, withPorts(await readFile(p, 'utf8'), ports));
  }
}

async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-docs-'));
  await cp(join(ROOT, 'samples'), join(dir, 'samples'), {
    recursive: true,
    filter: (src) => !src.split('/').includes('.weir'),
  });
  // Weir's folder as a clone has it after `npm run build` (so that `npx weir` runs its bin, offline)
  for (const linked of ['dist', 'bin', 'node_modules']) await symlink(join(ROOT, linked), join(dir, linked));
  await cp(join(ROOT, 'package.json'), join(dir, 'package.json'));
  await mkdir(join(dir, '.bin'));
  const shim = join(dir, '.bin', 'weir');
  await writeFile(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(WEIR_BIN)} "$@"\n`);
  await chmod(shim, 0o755);
  const ports = new Map<string, string>();
  for (const p of DOC_PORTS) ports.set(String(p), String(await freePort()));
  await rewriteTree(join(dir, 'samples'), ports);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(dir, '.bin')}:${process.env.PATH ?? ''}` };
  for (const k of ['WEIR_API', 'WEIR_API_TOKEN', 'WEIR_LOADTESTER', 'KUBECONFIG', 'WEIR_LOG_LEVEL']) delete env[k];
  env.WEIR_HOME = join(dir, '.weir-home');
  return { dir, env, ports };
}

interface Background {
  step: DocStep;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  /** the signal that ended it, if one did */
  signal: () => NodeJS.Signals | null;
}

function spawnStep(ws: Workspace, step: DocStep) {
  const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', withPorts(step.script, ws.ports)], {
    cwd: ws.dir,
    env: ws.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group, as a terminal's job: signals reach its children too
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let signal: NodeJS.Signals | null = null;
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code, sig) => {
      signal = sig;
      resolve(code);
    }),
  );
  return { child, exited, signal: () => signal, stdout: () => stdout, stderr: () => stderr };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** resolves once no process of the child's group is left (weir up, its sidecars and apps) */
async function groupGone(child: ChildProcess): Promise<void> {
  for (;;) {
    try {
      process.kill(-child.pid!, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function bounded<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(what())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function runDoc(file: string): Promise<void> {
  const steps = docSteps(await readFile(join(ROOT, file), 'utf8')).filter((s) => !s.skip);
  expect(steps.length, `${file} has no runnable sh blocks`).toBeGreaterThan(0);
  const ws = await workspace();
  const background: Background[] = [];
  const context = () =>
    background.map((b) => `--- background step at line ${b.step.line}:\n${b.output().slice(-4000)}`).join('\n');
  try {
    for (const step of steps) {
      const where = `${file}:${step.line}`;
      const started = Date.now();
      if (process.env.WEIR_DOCS_TIMING) process.stderr.write(`${where} ...\n`);
      if (step.stop) {
        for (const b of background.splice(0)) {
          signalGroup(b.child, 'SIGINT');
          const code = await bounded(b.exited, STOP_TIMEOUT_MS, () => `${where}: background did not stop on Ctrl-C`);
          // `weir up` exits 0; run through `npx`, npm itself dies of the SIGINT (a shell shows 130)
          const how = code === null ? b.signal() : code;
          expect([0, 'SIGINT'], `${where}: the step at line ${b.step.line} ended with ${how}\n${b.output()}`).toContain(
            how,
          );
          expect(b.output(), `${where}: weir up saw the Ctrl-C`).toContain('SIGINT: stopping');
          await bounded(groupGone(b.child), STOP_TIMEOUT_MS, () => `${where}: processes of the step still running`);
        }
        continue;
      }
      const run = spawnStep(ws, step);
      if (step.background) {
        const until = withPorts(step.background.until, ws.ports);
        const b: Background = {
          step,
          child: run.child,
          exited: run.exited,
          signal: run.signal,
          output: () => run.stdout() + run.stderr(),
        };
        background.push(b);
        await bounded(
          new Promise<void>((resolve, reject) => {
            const check = () => {
              if (run.stdout().includes(until)) resolve();
            };
            run.child.stdout!.on('data', check);
            void run.exited.then((code) =>
              reject(new Error(`${where}: exited (${String(code)}) before printing "${until}"\n${b.output()}`)),
            );
            check();
          }),
          READY_TIMEOUT_MS,
          () => `${where}: no "${until}" within ${READY_TIMEOUT_MS} ms\n${b.output()}`,
        );
        continue;
      }
      const code = await bounded(run.exited, STEP_TIMEOUT_MS, () => {
        signalGroup(run.child, 'SIGKILL');
        return `${where}: still running after ${STEP_TIMEOUT_MS} ms\n${run.stdout()}\n${run.stderr()}\n${context()}`;
      });
      const report = `${where}\n$ ${step.script}\n${run.stdout()}\n${run.stderr()}\n${context()}`;
      expect(code, report).toBe(step.exit);
      for (const text of step.expect) expect(run.stdout(), report).toContain(withPorts(text, ws.ports));
      if (process.env.WEIR_DOCS_TIMING) process.stderr.write(`${where} ${Date.now() - started} ms\n`);
    }
  } finally {
    for (const b of background) {
      signalGroup(b.child, 'SIGTERM');
      await bounded(b.exited, 45_000, () => 'did not stop').catch(() => signalGroup(b.child, 'SIGKILL'));
    }
    await rm(ws.dir, { recursive: true, force: true });
  }
}

// needs `npm run build` (the tutorials run bin/weir.js and the compiled sample app)
describe('the tutorials, run as written', () => {
  for (const file of DOCS) {
    it(`${file} runs as written against a fresh weir up`, async () => runDoc(file), 1_800_000);
  }
});
