import type { Canary, CanaryMetric } from '../resources/index.js';

/**
 * Flagger's MetricTemplate query rendering (`pkg/metrics/observers/render.go`, reference flagger.md 1.5):
 * a Go `text/template` executed with `missingkey=error` and no data, whose functions are the model's fields.
 * Weir renders the subset MetricTemplates use:
 *
 * - `{{ name }}`, `{{ namespace }}`, `{{ target }}`, `{{ service }}`, `{{ ingress }}`, `{{ route }}`,
 *   `{{ interval }}`, `{{ variables.KEY }}` (any spacing, `{{- ` / ` -}}` trim markers);
 * - comments `{{/* ... *\/}}`;
 * - string literals `{{ "text" }}`.
 *
 * Anything else (pipelines, `if`, `range`, unknown functions) is an error that names the action, and a
 * `variables.KEY` not set in the metric's `templateVariables` is an error that names the key, as Flagger's
 * `missingkey=error` makes it.
 */

/** What a MetricTemplate query can use (Flagger's `MetricTemplateModel`). */
export interface MetricTemplateModel {
  /** the Canary's name */
  name: string;
  namespace: string;
  /** `spec.targetRef.name` */
  target: string;
  /** `spec.service.name`, else the target */
  service: string;
  /** `spec.ingressRef.name`, else the target */
  ingress: string;
  /** `spec.routeRef.name`, else the target */
  route: string;
  /** the metric's `interval` (a PromQL range such as `1m`) */
  interval: string;
  /** the metric's `templateVariables` */
  variables: Readonly<Record<string, string>>;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Flagger's `toMetricModel`: the model of one metric of one Canary. */
export function metricTemplateModel(canary: Canary, metric: CanaryMetric): MetricTemplateModel {
  const target = canary.spec.targetRef.name;
  return {
    name: canary.metadata.name,
    namespace: canary.metadata.namespace,
    target,
    service: canary.spec.service.name || target,
    ingress: canary.spec.ingressRef?.name || target,
    route: canary.spec.routeRef?.name || target,
    interval: metric.interval || '1m',
    variables: metric.templateVariables ?? {},
  };
}

const FIELDS = ['name', 'namespace', 'target', 'service', 'ingress', 'route', 'interval'] as const;
type Field = (typeof FIELDS)[number];
const isField = (s: string): s is Field => (FIELDS as readonly string[]).includes(s);

/** The value of one action (its text between the delimiters and trim markers). */
function evaluate(action: string, model: MetricTemplateModel, where: string): string {
  if (action === '') throw new TemplateError(`${where}: missing value for command`);
  if (isField(action)) return model[action];
  const variable = /^variables\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(action);
  if (variable) {
    const key = variable[1] as string;
    if (!Object.prototype.hasOwnProperty.call(model.variables, key)) {
      const known = Object.keys(model.variables);
      throw new TemplateError(
        `${where}: map has no entry for key "${key}": templateVariables.${key} is not set on the metric` +
          (known.length > 0 ? ` (set: ${known.join(', ')})` : ' (it has no templateVariables)'),
      );
    }
    return model.variables[key] as string;
  }
  if (action === 'variables') throw new TemplateError(`${where}: {{ variables }} needs a key: {{ variables.KEY }}`);
  const literal = /^"((?:[^"\\]|\\.)*)"$/.exec(action);
  if (literal) return JSON.parse(`"${literal[1] as string}"`) as string;
  const word = /^[A-Za-z_][A-Za-z0-9_]*$/.exec(action);
  if (word) {
    throw new TemplateError(`${where}: function "${action}" not defined (known: ${FIELDS.join(', ')}, variables.KEY)`);
  }
  throw new TemplateError(`${where}: unsupported template action {{ ${action} }}`);
}

/**
 * Render a MetricTemplate query. Throws a `TemplateError` whose message says where (line:column of the
 * action) and what went wrong.
 */
export function renderMetricTemplate(template: string, model: MetricTemplateModel): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{{', i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    const where = position(template, open);
    let text = template.slice(i, open);
    let start = open + 2;
    // `{{- ` trims the whitespace before the action (Go wants a space after the dash)
    if (template[start] === '-' && WS.test(template[start + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 1;
    }
    out += text;
    let end: number;
    const body = skipSpace(template, start);
    if (template.startsWith('/*', body)) {
      const close = template.indexOf('*/', body + 2);
      if (close < 0) throw new TemplateError(`${where}: unclosed comment`);
      end = template.indexOf('}}', close + 2);
      if (end < 0 || !/^([ \t\r\n]+-)?$/.test(template.slice(close + 2, end))) {
        throw new TemplateError(`${where}: comment ends before closing delimiter`);
      }
    } else {
      end = findClose(template, start);
      if (end < 0) throw new TemplateError(`${where}: unclosed action (no "}}")`);
    }
    let raw = template.slice(start, end);
    // ` -}}` trims the whitespace after the action
    const trimAfter = /[ \t\r\n]-$/.test(raw);
    if (trimAfter) raw = raw.slice(0, -1);
    const action = raw.trim();
    if (!(action.startsWith('/*') && action.endsWith('*/'))) out += evaluate(action, model, where);
    i = end + 2;
    if (trimAfter) i = skipSpace(template, i);
  }
  return out;
}

const WS = /[ \t\r\n]/;

function skipSpace(s: string, from: number): number {
  let i = from;
  while (i < s.length && WS.test(s[i] as string)) i++;
  return i;
}

/** The index of the `}}` that closes an action starting at `from`, skipping string literals. */
function findClose(s: string, from: number): number {
  let i = from;
  while (i < s.length) {
    const c = s[i];
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') i += s[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === '}' && s[i + 1] === '}') return i;
    if (c === '{' && s[i + 1] === '{') return -1;
    i++;
  }
  return -1;
}

/** `template:LINE:COL` as Go's text/template names a position */
function position(s: string, index: number): string {
  const before = s.slice(0, index);
  const line = before.split('\n').length;
  const col = index - before.lastIndexOf('\n');
  return `template:${line}:${col}`;
}
