import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: the unit of `utime`/`stime` in `/proc/PID/stat` (100 on every mainstream kernel) */
const CLOCK_TICKS = 100;

/** CPU time a process has used so far (user + system), in milliseconds, or undefined when unreadable */
export type CpuTimeReader = (pid: number) => number | undefined;

/**
 * `/proc/PID/stat` fields 14 and 15 (utime, stime), as pidusage reads them on Linux. The command name (field
 * 2) can hold spaces and parentheses, so the fields are counted from its closing parenthesis.
 */
export function procCpuTimeMs(pid: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseProcStat(text);
}

export function parseProcStat(text: string): number | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  // after ") ": state(3) ppid(4) ... utime(14) stime(15)
  const fields = text.slice(close + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / CLOCK_TICKS;
}

/**
 * CPU usage in millicores of processes between two readings: (CPU time used) / (wall time passed) * 1000.
 * The first reading of a pid gives nothing (there is no interval yet).
 */
export class CpuSampler {
  private readonly last = new Map<number, { at: number; cpuMs: number }>();

  constructor(private readonly read: CpuTimeReader = procCpuTimeMs) {}

  usageMillis(pid: number, now: number): number | undefined {
    const cpuMs = this.read(pid);
    if (cpuMs === undefined) {
      this.last.delete(pid);
      return undefined;
    }
    const prev = this.last.get(pid);
    this.last.set(pid, { at: now, cpuMs });
    if (!prev || now <= prev.at || cpuMs < prev.cpuMs) return undefined;
    return ((cpuMs - prev.cpuMs) / (now - prev.at)) * 1000;
  }

  /** forget pids not in `live` */
  retain(live: ReadonlySet<number>): void {
    for (const pid of this.last.keys()) if (!live.has(pid)) this.last.delete(pid);
  }
}
