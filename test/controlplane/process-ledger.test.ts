import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessLedger, processStartTime } from '../../controlplane/runtime/process-ledger.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

// `weir up` killed with SIGKILL cannot stop its workloads; the next runtime on the same state dir must.
describe('workload processes left behind by a crashed runtime', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  async function ledgerFile(): Promise<string> {
    const d = await mkdtemp(join(tmpdir(), 'weir-ledger-'));
    dirs.push(d);
    return join(d, 'runtime-processes.json');
  }

  function sleeper(): ChildProcess {
    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    children.push(c);
    return c;
  }

  it('are stopped by the next runtime reading the same ledger', async () => {
    const file = await ledgerFile();
    const orphan = sleeper();
    new ProcessLedger(file).add(orphan.pid!);
    // the "crashed" runtime never removes it; a new one starts over the same state dir
    expect(new ProcessLedger(file).reapLeftovers()).toBe(1);
    expect(await until(() => !alive(orphan.pid!), 5_000)).toBe(true);
  });

  it('leave alone a process that merely reuses a recorded pid', async () => {
    const file = await ledgerFile();
    const bystander = sleeper();
    expect(processStartTime(bystander.pid!)).toBeDefined();
    await writeFile(file, JSON.stringify([{ pid: bystander.pid, started: '1' }]));
    expect(new ProcessLedger(file).reapLeftovers()).toBe(0);
    expect(alive(bystander.pid!)).toBe(true);
  });

  it('forget processes that exited normally', async () => {
    const file = await ledgerFile();
    const ledger = new ProcessLedger(file);
    const done = sleeper();
    ledger.add(done.pid!);
    ledger.remove(done.pid!);
    expect(new ProcessLedger(file).reapLeftovers()).toBe(0);
    expect(alive(done.pid!)).toBe(true);
  });
});
