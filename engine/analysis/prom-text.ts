/**
 * A small parser for the Prometheus text exposition format (version 0.0.4), enough for the sidecars'
 * admin `/metrics`: `# HELP`/`# TYPE` lines are skipped, samples are `name{label="value",...} value [timestamp]`.
 * Label values understand the `\\`, `\"` and `\n` escapes; values understand `+Inf`, `-Inf` and `NaN`.
 * Lines that do not parse are reported, not thrown, so one bad series never hides the others.
 */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** milliseconds since the epoch, when the exposition carries one */
  timestampMs?: number;
}

export interface PromParseResult {
  samples: PromSample[];
  /** 1-based line numbers and texts of lines that were not understood */
  errors: { line: number; text: string }[];
}

const nameRe = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parsePromValue(text: string): number | undefined {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

/** Parse one sample line; undefined when it is not a valid sample. */
export function parsePromLine(line: string): PromSample | undefined {
  const nameMatch = nameRe.exec(line);
  if (!nameMatch) return undefined;
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      while (line[i] === ' ' || line[i] === '\t') i++;
      if (line[i] === '}') {
        i++;
        break;
      }
      const ln = labelNameRe.exec(line.slice(i));
      if (!ln) return undefined;
      i += ln[0].length;
      while (line[i] === ' ') i++;
      if (line[i] !== '=') return undefined;
      i++;
      while (line[i] === ' ') i++;
      if (line[i] !== '"') return undefined;
      i++;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) return undefined;
        if (c === '\\') {
          const n = line[i + 1];
          if (n === 'n') value += '\n';
          else if (n === '\\' || n === '"') value += n;
          else return undefined;
          i += 2;
          continue;
        }
        if (c === '"') {
          i++;
          break;
        }
        value += c;
        i++;
      }
      labels[ln[0]] = value;
      while (line[i] === ' ') i++;
      if (line[i] === ',') i++;
      else if (line[i] !== '}') return undefined;
    }
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') return undefined;
  const value = parsePromValue(rest[0]!);
  if (value === undefined) return undefined;
  const sample: PromSample = { name, labels, value };
  if (rest.length === 2) {
    const ts = Number(rest[1]);
    if (!Number.isInteger(ts)) return undefined;
    sample.timestampMs = ts;
  }
  return sample;
}

export function parsePromText(text: string): PromParseResult {
  const out: PromParseResult = { samples: [], errors: [] };
  const lines = text.split('\n');
  lines.forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const s = parsePromLine(line);
    if (s) out.samples.push(s);
    else out.errors.push({ line: idx + 1, text: raw });
  });
  return out;
}
