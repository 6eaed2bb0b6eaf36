import { readdir, readFile, readlink } from 'node:fs/promises';

/** the pid and every descendant of it (Linux /proc) */
export async function processTree(root: number): Promise<number[]> {
  const parent = new Map<number, number>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, pp] of parent) if (pp === out[i]) out.push(pid);
  return out;
}

/** `address:port` of every TCP socket listening in one of `pids` (Linux /proc/net/tcp{,6}) */
export async function listeningAddresses(pids: number[]): Promise<Array<{ pid: number; address: string }>> {
  const owner = new Map<string, number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = await readdir(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`));
        if (m) owner.set(m[1]!, pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  const out: Array<{ pid: number; address: string }> = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(file, 'utf8')).split('\n').slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A: LISTEN
      const pid = owner.get(f[9]!);
      if (pid === undefined) continue;
      const [hex, portHex] = f[1]!.split(':');
      out.push({ pid, address: `${decodeAddress(hex!)}:${parseInt(portHex!, 16)}` });
    }
  }
  return out;
}

function decodeAddress(hex: string): string {
  if (hex.length === 8) {
    const b = Buffer.from(hex, 'hex').reverse();
    return [...b].join('.');
  }
  // IPv6: four little-endian 32-bit words
  const words = hex.match(/.{8}/g)!.map((w) => Buffer.from(w, 'hex').reverse().toString('hex'));
  const full = words.join('');
  if (full === '00000000000000000000000000000001') return '::1';
  if (full === '0'.repeat(32)) return '::';
  if (full.startsWith('00000000000000000000ffff')) return `::ffff:${[...Buffer.from(full.slice(24), 'hex')].join('.')}`;
  return full;
}
