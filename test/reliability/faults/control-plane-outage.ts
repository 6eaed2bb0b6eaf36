import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../support/weir-process.js';
import type { OutageReport } from '../../../bench/outage-stats.js';

export interface OutageRun extends OutageReport {
  rate: number;
  proxies: number;
  outage: number;
  loadAtKill: string;
}

/**
 * bench/control-plane-outage.ts run to completion (it needs `npm run build`: its sidecars are `bin/weir.js`):
 * real `weir proxy` sidecars under an open-loop load, the control plane SIGKILLed for `outage` seconds and
 * started again with a route changed while it was down. Its JSON report, or an error with its output.
 */
export async function runControlPlaneOutage(o: {
  proxies: number;
  rate: number;
  before: number;
  outage: number;
  after: number;
}): Promise<OutageRun> {
  const dir = await mkdtemp(join(tmpdir(), 'weir-cp-outage-'));
  const json = join(dir, 'report.json');
  try {
    const args = [
      join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(ROOT, 'bench', 'control-plane-outage.ts'),
      ...['--proxies', String(o.proxies), '--rate', String(o.rate), '--warmup', '2'],
      ...['--before', String(o.before), '--outage', String(o.outage), '--after', String(o.after)],
      ...['--timeout', '10', '--json', json],
    ];
    const limitMs = (o.before + o.outage + o.after + 180) * 1000;
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const timer = setTimeout(() => child.kill('SIGTERM'), limitMs);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(out);
      });
      child.on('error', reject);
    });
    const text = await readFile(json, 'utf8').catch(() => undefined);
    if (text === undefined) throw new Error(`bench/control-plane-outage.ts wrote no report:\n${output}`);
    return JSON.parse(text) as OutageRun;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
