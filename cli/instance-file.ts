import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** Where `weir up` records itself so that later CLI calls find "the instance last started on this machine". */
export function instanceFilePath(): string {
  const base = process.env.WEIR_HOME ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'weir');
  return join(base, 'last-instance.json');
}

export interface InstanceRecord {
  api: string;
  pid: number;
  dir: string;
  startedAt: string;
}

export async function recordInstance(rec: InstanceRecord): Promise<void> {
  const file = instanceFilePath();
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(rec, null, 2));
  await rename(tmp, file);
}

export async function forgetInstance(pid: number): Promise<void> {
  const rec = await readInstance();
  if (rec?.pid === pid) await rm(instanceFilePath(), { force: true });
}

export async function readInstance(): Promise<InstanceRecord | undefined> {
  try {
    return JSON.parse(await readFile(instanceFilePath(), 'utf8')) as InstanceRecord;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `--api URL`, else `WEIR_API`, else the instance last started on this machine (if still running). */
export async function resolveApiUrl(flag: string | undefined): Promise<string> {
  if (flag) return flag.replace(/\/$/, '');
  if (process.env.WEIR_API) return process.env.WEIR_API.replace(/\/$/, '');
  const rec = await readInstance();
  if (rec && alive(rec.pid)) return rec.api;
  throw new Error('no running Weir instance found: start one with `weir up DIR`, or pass --api URL / set WEIR_API');
}
