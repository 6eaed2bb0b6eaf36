import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually, freePort } from './weir-process.js';

/**
 * A real graphite-web (Debian package `graphite-web`, 1.1.x, and `python3-whisper`) for one test: the
 * Django development server on a free 127.0.0.1 port, reading whisper files from its own temporary storage
 * directory (no carbon: the test writes the whisper files itself). When the package is missing,
 * `startGraphite` throws (the test fails, it is not skipped).
 */
export const GRAPHITE_MANAGE = '/usr/bin/graphite-manage';
/** Debian's Python, which has the packages' modules (not a pyenv shim that may come first in PATH) */
const PYTHON = '/usr/bin/python3';

export interface GraphiteServer {
  url: string;
  /** write points `[unix seconds, value]` to a metric (dotted name) in a 1 s / 1 h whisper file */
  write(metric: string, points: Array<[number, number]>): Promise<void>;
  close(): Promise<void>;
}

export async function startGraphite(): Promise<GraphiteServer> {
  if (!existsSync(GRAPHITE_MANAGE))
    throw new Error(`${GRAPHITE_MANAGE} missing: apt-get install graphite-web python3-whisper`);
  const dir = await mkdtemp(join(tmpdir(), 'weir-graphite-'));
  const conf = join(dir, 'conf');
  const storage = join(dir, 'storage');
  await mkdir(conf, { recursive: true });
  await mkdir(join(storage, 'whisper'), { recursive: true });
  await mkdir(join(storage, 'log'), { recursive: true });
  await writeFile(
    join(conf, 'weir_graphite_settings.py'),
    [
      `GRAPHITE_ROOT = '/usr/share/graphite-web'`,
      `CONF_DIR = ${JSON.stringify(conf)}`,
      `STORAGE_DIR = ${JSON.stringify(storage)}`,
      `WHISPER_DIR = ${JSON.stringify(join(storage, 'whisper'))}`,
      `LOG_DIR = ${JSON.stringify(join(storage, 'log'))}`,
      `INDEX_FILE = ${JSON.stringify(join(storage, 'index'))}`,
      `SECRET_KEY = 'weir-test'`,
      `DATABASES = {'default': {'NAME': ${JSON.stringify(join(storage, 'graphite.db'))}, 'ENGINE': 'django.db.backends.sqlite3'}}`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const env = { ...process.env, GRAPHITE_SETTINGS_MODULE: 'weir_graphite_settings', PYTHONPATH: conf };
  let output = '';
  const child: ChildProcess = spawn(PYTHON, [GRAPHITE_MANAGE, 'runserver', `127.0.0.1:${port}`, '--noreload'], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(`graphite-web on ${url}`, 30_000, async () => {
      if (child.exitCode !== null) throw new Error(`graphite-web exited:\n${output}`);
      const res = await fetch(`${url}/render?target=none&format=json`, { signal: AbortSignal.timeout(2_000) }).catch(
        () => undefined,
      );
      return res?.ok ? true : undefined;
    });
  } catch (err) {
    await close();
    throw err;
  }
  return {
    url,
    async write(metric, points) {
      const file = join(storage, 'whisper', ...metric.split('.')) + '.wsp';
      const script = [
        'import os, sys, json, whisper',
        'path, points = sys.argv[1], json.loads(sys.argv[2])',
        'os.makedirs(os.path.dirname(path), exist_ok=True)',
        'os.path.exists(path) or whisper.create(path, [(1, 3600)])',
        'whisper.update_many(path, [tuple(p) for p in points])',
      ].join('\n');
      await promisify(execFile)(PYTHON, ['-c', script, file, JSON.stringify(points)], { timeout: 10_000 });
    },
    close,
  };
}
