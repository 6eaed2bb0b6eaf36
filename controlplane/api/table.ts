import type { KindInfo, KubeObject, PrinterColumn } from '../../engine/resources/index.js';

/**
 * `meta.k8s.io/v1` Table responses, what `kubectl get` asks for (`Accept: application/json;as=Table;...`):
 * NAME and the kind's printer columns (a CRD's additionalPrinterColumns), else NAME and AGE.
 */

export function wantsTable(accept: string | undefined): boolean {
  return accept !== undefined && /(^|[,;\s])as=Table/.test(accept);
}

const ageColumn: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

function columnsOf(info: KindInfo): PrinterColumn[] {
  return [
    {
      name: 'Name',
      type: 'string',
      jsonPath: '.metadata.name',
      description: 'Name must be unique within a namespace.',
    },
    ...(info.printerColumns ?? [ageColumn]),
  ];
}

/** `.status.phase` of an object; lists are joined with "," as kubectl's JSONPath prints them */
function valueAt(o: unknown, jsonPath: string): unknown {
  let cur: unknown = o;
  for (const part of jsonPath.split('.').filter((p) => p !== '')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Kubernetes' `duration.HumanDuration`: 45s, 12m, 3h20m, 5d, 2y. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function cell(o: KubeObject, c: PrinterColumn, now: number): unknown {
  const v = valueAt(o, c.jsonPath);
  if (v === undefined || v === null) return c.type === 'date' ? '<unknown>' : null;
  if (c.type === 'date' && typeof v === 'string') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? v : humanDuration(now - t);
  }
  if (Array.isArray(v)) return v.map(String).join(',');
  if (typeof v === 'object') return JSON.stringify(v);
  return v;
}

export function partialMetadata(o: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  info: KindInfo,
  items: KubeObject[],
  listMeta: Record<string, unknown>,
  includeObject: string | undefined,
  now = Date.now(),
): Record<string, unknown> {
  const columns = columnsOf(info);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type === 'date' ? 'string' : c.type,
      format: c.name === 'Name' ? 'name' : '',
      description: c.description ?? c.jsonPath,
      priority: c.priority ?? 0,
    })),
    rows: items.map((o) => ({
      cells: columns.map((c) => cell(o, c, now)),
      object: includeObject === 'None' ? undefined : includeObject === 'Object' ? o : partialMetadata(o),
    })),
  };
}
