import { parsePromText, type PromSample } from '../../../engine/analysis/index.js';

/** The proxy's `/metrics` read back with the same parser the controller uses, plus `# TYPE` per family. */
export interface ParsedMetrics {
  samples: PromSample[];
  types: Record<string, string>;
}

export function parsePrometheusText(text: string): ParsedMetrics {
  const parsed = parsePromText(text);
  if (parsed.errors.length > 0) throw new Error(`unparsable metrics lines: ${JSON.stringify(parsed.errors)}`);
  const types: Record<string, string> = {};
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)/gm)) types[m[1]!] = m[2]!;
  return { samples: parsed.samples, types };
}

/** samples named `name` whose labels include every pair of `where` */
export function select(m: ParsedMetrics, name: string, where: Record<string, string> = {}): PromSample[] {
  return m.samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v));
}

export function total(m: ParsedMetrics, name: string, where: Record<string, string> = {}): number {
  return select(m, name, where).reduce((a, s) => a + s.value, 0);
}
