import { readFileSync, renameSync, writeFileSync } from 'node:fs';

interface Entry {
  pid: number;
  /** field 22 of /proc/PID/stat: when the process started, in clock ticks since boot */
  started: string;
}

/** A process's start time from /proc (Linux); undefined where there is no /proc or the process is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may contain spaces and parentheses: count fields after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

/**
 * The workload processes a runtime started, kept in the state directory so that a runtime started after a
 * crash (`weir up` killed with SIGKILL cannot stop its children) can stop the ones left running. A process is
 * identified by pid and start time, so a pid the system has since reused is never touched.
 */
export class ProcessLedger {
  private readonly entries = new Map<number, Entry>();

  constructor(private readonly file: string) {}

  /** SIGKILL every process a previous runtime left behind; returns how many were stopped */
  reapLeftovers(): number {
    let stale: Entry[] = [];
    try {
      stale = JSON.parse(readFileSync(this.file, 'utf8')) as Entry[];
    } catch {
      return 0;
    }
    let killed = 0;
    for (const e of stale) {
      if (e.pid === process.pid || processStartTime(e.pid) !== e.started) continue;
      try {
        process.kill(e.pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
    this.save();
    return killed;
  }

  add(pid: number): void {
    const started = processStartTime(pid);
    if (started === undefined) return;
    this.entries.set(pid, { pid, started });
    this.save();
  }

  remove(pid: number): void {
    if (this.entries.delete(pid)) this.save();
  }

  private save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify([...this.entries.values()]));
      renameSync(tmp, this.file);
    } catch {
      // the ledger is a safety net: never let it stop a workload from running
    }
  }
}
