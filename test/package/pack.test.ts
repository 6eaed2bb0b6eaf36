import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, ROOT } from '../support/weir-process.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

// needs `npm run build`: the pack runs with --ignore-scripts (the prepack build is checked in package.json)
describe('the npm package', () => {
  let dir: string;
  let tarball: string;
  let files: string[];
  const app = () => join(dir, 'app');
  const installedWeir = () => join(app(), 'node_modules', 'weir');
  const env = () => ({ WEIR_HOME: join(dir, 'home'), WEIR_API: '', WEIR_LOG_LEVEL: 'warn' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weir-pack-'));
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT, 120_000);
    expect(packed.code, packed.stderr).toBe(0);
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(dir, info!.filename);
    files = info!.files.map((f) => f.path);
  }, 180_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('ships dist/, bin/, samples/, the .proto files, README and LICENSE, and no tests or benchmarks', () => {
    for (const f of [
      'bin/weir.js',
      'dist/cli/main.js',
      'dist/samples/app/server.js',
      'proto/destination.proto',
      'samples/demo/podinfo.yaml',
      'samples/canary/canary.yaml',
      'README.md',
      'LICENSE',
      'package.json',
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(test|bench|scripts|node_modules)\//.test(f) || f.includes('/.weir/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
  });

  it('builds before packing, and says which Node its dependencies need', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
      engines: { node: string };
    };
    expect(pkg.scripts.prepack).toMatch(/npm run build/);
    // undici 7 (the highest floor among the dependencies) needs Node >= 20.18.1
    expect(pkg.engines.node).toBe('>=20.18.1');
    const license = await readFile(join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toContain('Apache License');
    expect(license).toContain('Version 2.0, January 2004');
  });

  it('installs into an empty folder, where weir version and weir up run from the installed bin', async () => {
    await mkdir(app());
    // from the local cache when it has everything, else through the registry for what it lacks
    let install = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], app(), 300_000);
    if (install.code !== 0 && /ENOTCACHED/.test(install.stderr))
      install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app(), 300_000);
    expect(install.code, install.stderr).toBe(0);

    const version = await run('npx', ['--offline', 'weir', 'version'], app(), 60_000, env());
    expect(version.code, version.stderr).toBe(0);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);

    // the installed demo folder, on a free port (the app and the sidecars run from the installed dist/)
    const demo = join(installedWeir(), 'samples', 'demo');
    const port = String(await freePort());
    for (const f of await readdir(demo))
      await writeFile(join(demo, f), (await readFile(join(demo, f), 'utf8')).replace(/\b9898\b/g, port));
    // the installed bin itself (what npx runs), so that its own exit code is seen
    const up = spawn(
      join(app(), 'node_modules', '.bin', 'weir'),
      ['up', 'node_modules/weir/samples/demo', '--state-dir', join(dir, 'state')],
      { cwd: app(), env: { ...process.env, ...env() }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let out = '';
    up.stdout.on('data', (d: Buffer) => (out += d.toString()));
    up.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => up.once('close', (code) => r(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`weir up printed no control plane line:\n${out}`)), 120_000);
        const check = () => {
          if (out.includes('control plane:')) {
            clearTimeout(timer);
            resolve();
          }
        };
        up.stdout.on('data', check);
        void exited.then((code) => reject(new Error(`weir up exited (${String(code)}):\n${out}`)));
      });
      expect(out).toContain(`service test/podinfo listening on 127.0.0.1:${port}`);
      const wait = await run(
        'npx',
        ['--offline', 'weir', 'wait', 'canary', 'podinfo', '-n', 'test', '--for=promoted', '--timeout', '5m'],
        app(),
        330_000,
        env(),
      );
      expect(wait.code, `${wait.stdout}\n${wait.stderr}\n${out}`).toBe(0);
      const res = await fetch(`http://127.0.0.1:${port}/version`);
      expect(await res.json()).toEqual({ version: '1.0.0' });
    } finally {
      try {
        process.kill(-up.pid!, 'SIGINT');
      } catch {
        // gone already
      }
      const code = await Promise.race([exited, new Promise<'slow'>((r) => setTimeout(() => r('slow'), 45_000))]);
      if (code === 'slow') process.kill(-up.pid!, 'SIGKILL');
      else expect(code, out).toBe(0);
    }
  }, 600_000);
});
