/**
 * Several Prometheus text expositions (format 0.0.4) as one: each metric family once, with its
 * `# HELP` and `# TYPE` lines from the first text that has it and the samples of every text, in order.
 * The text format forbids a family in two places, so two proxies' `/metrics` cannot just be
 * concatenated when they share names (`request_total` with `direction="inbound"` and `"outbound"`).
 */
export function mergeMetricsText(texts: readonly string[]): string {
  const families = new Map<string, { help?: string; type?: string; samples: string[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (f === undefined) {
      f = { samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const text of texts) {
    let current: string | undefined;
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
      if (meta !== null) {
        current = meta[2] as string;
        const f = family(current);
        if (meta[1] === 'HELP') f.help ??= line;
        else f.type ??= line;
        continue;
      }
      if (line.startsWith('#')) continue;
      // a sample belongs to the family announced last (histogram `_bucket`/`_sum`/`_count` included);
      // one announced by no header is a family of its own name
      const name = /^[^{\s]+/.exec(line)?.[0] ?? line;
      const owner = current !== undefined && belongsTo(name, current) ? current : name;
      family(owner).samples.push(line);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    if (f.help !== undefined) out.push(f.help);
    if (f.type !== undefined) out.push(f.type);
    out.push(...f.samples);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

const SUFFIXES = ['', '_bucket', '_sum', '_count'];

/** `x_bucket`, `x_sum` and `x_count` are samples of histogram (or summary) `x` */
function belongsTo(sample: string, family: string): boolean {
  return SUFFIXES.some((s) => sample === family + s);
}
