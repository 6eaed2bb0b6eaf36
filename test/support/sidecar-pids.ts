import { readdirSync, readFileSync } from 'node:fs';

/** pids of the `weir proxy` (sidecar) processes of pod `name`, from /proc (Linux) */
export function sidecarPids(name: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes('proxy') && args[args.indexOf('--pod') + 1] === name) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
