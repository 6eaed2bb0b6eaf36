/** A small parser for the Prometheus text exposition format (0.0.4), enough to read metrics back in tests. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  samples: Sample[];
  /** `# TYPE` per family */
  types: Record<string, string>;
}

function parseLabels(s: string, at: number, into: Record<string, string>): number {
  // s[at] === '{'
  let i = at + 1;
  while (i < s.length && s[i] !== '}') {
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq).trim();
    if (s[eq + 1] !== '"') throw new Error(`bad label value at ${eq + 1}: ${s}`);
    let j = eq + 2;
    let value = '';
    while (s[j] !== '"') {
      if (j >= s.length) throw new Error(`unterminated label value: ${s}`);
      if (s[j] === '\\') {
        const n = s[j + 1];
        value += n === 'n' ? '\n' : (n ?? '');
        j += 2;
      } else {
        value += s[j];
        j++;
      }
    }
    into[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
  }
  return i + 1;
}

export function parsePrometheusText(text: string): ParsedMetrics {
  const samples: Sample[] = [];
  const types: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# TYPE (\S+) (\S+)/.exec(line);
      if (m) types[m[1] as string] = m[2] as string;
      continue;
    }
    const brace = line.indexOf('{');
    const space = line.indexOf(' ');
    const labels: Record<string, string> = {};
    let rest: string;
    let name: string;
    if (brace >= 0 && (space < 0 || brace < space)) {
      name = line.slice(0, brace);
      rest = line.slice(parseLabels(line, brace, labels));
    } else {
      name = line.slice(0, space);
      rest = line.slice(space);
    }
    const value = rest.trim().split(/\s+/)[0] as string;
    const num = value === '+Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value);
    if (Number.isNaN(num) && value !== 'NaN') throw new Error(`bad sample value in: ${line}`);
    samples.push({ name, labels, value: num });
  }
  return { samples, types };
}

/** samples named `name` whose labels include every pair of `where` */
export function select(m: ParsedMetrics, name: string, where: Record<string, string> = {}): Sample[] {
  return m.samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}

export function total(m: ParsedMetrics, name: string, where: Record<string, string> = {}): number {
  return select(m, name, where).reduce((a, s) => a + s.value, 0);
}
