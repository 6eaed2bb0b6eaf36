import { parseAllDocuments, stringify } from 'yaml';
import { injectPod, isInjected, uninjectPod, type PodLike, type ProxyInjectConfig } from './inject.js';

/**
 * `weir inject` / `weir uninject` over manifests, as `linkerd inject` does: every document is printed again,
 * the pods of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and Pods (also inside a
 * `List`) with the sidecar added or removed; other kinds unchanged. A pod template annotated
 * `weir.io/inject: disabled` (or `linkerd.io/inject: disabled`) is left alone.
 */

type Doc = Record<string, unknown> & { kind?: string; metadata?: { name?: string } };

export interface InjectReport {
  /** the documents as YAML, `---` between them */
  yaml: string;
  /** one line per workload: `deployment "web" injected` / `skipped: ...` */
  notes: string[];
  errors: string[];
}

const TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

function podOf(doc: Doc, path: string): { pod: PodLike; set: (p: PodLike) => void } | string | undefined {
  const kind = doc.kind ?? '';
  const spec = doc.spec as Record<string, unknown> | undefined;
  let holder: Record<string, unknown> | undefined;
  let key: string;
  if (kind === 'Pod') {
    if (!spec || !Array.isArray(spec.containers)) return `${path}: spec.containers: wanted a list of containers`;
    return { pod: doc as unknown as PodLike, set: (p) => Object.assign(doc, p) };
  } else if (TEMPLATE_KINDS.has(kind)) {
    holder = spec;
    key = 'template';
  } else if (kind === 'CronJob') {
    holder = ((spec?.jobTemplate as Record<string, unknown> | undefined)?.spec ?? undefined) as
      Record<string, unknown> | undefined;
    key = 'template';
  } else return undefined;
  const template = holder?.[key] as PodLike | undefined;
  if (!template || !Array.isArray(template.spec?.containers))
    return `${path}: ${kind === 'CronJob' ? 'spec.jobTemplate.spec' : 'spec'}.template.spec.containers: wanted a list of containers`;
  return { pod: template, set: (p) => (holder![key] = p) };
}

function disabled(pod: PodLike): boolean {
  const a = pod.metadata?.annotations ?? {};
  return (a['weir.io/inject'] ?? a['linkerd.io/inject']) === 'disabled';
}

function transform(
  doc: Doc,
  path: string,
  mode: 'inject' | 'uninject',
  config: ProxyInjectConfig,
  r: InjectReport,
): void {
  if (doc.kind === 'List' && Array.isArray(doc.items)) {
    (doc.items as Doc[]).forEach((item, i) => transform(item, `${path}.items[${i}]`, mode, config, r));
    return;
  }
  const found = podOf(doc, path);
  if (found === undefined) return;
  if (typeof found === 'string') {
    r.errors.push(found);
    return;
  }
  const what = `${(doc.kind ?? '').toLowerCase()} "${doc.metadata?.name ?? ''}"`;
  if (mode === 'inject') {
    if (disabled(found.pod)) r.notes.push(`${what} skipped: annotated weir.io/inject: disabled`);
    else if (isInjected(found.pod)) r.notes.push(`${what} skipped: already injected`);
    else {
      try {
        found.set(injectPod(found.pod, config));
        r.notes.push(`${what} injected`);
      } catch (err) {
        r.errors.push(`${path}: ${(err as Error).message}`);
      }
    }
  } else if (isInjected(found.pod)) {
    found.set(uninjectPod(found.pod));
    r.notes.push(`${what} uninjected`);
  } else r.notes.push(`${what} skipped: not injected`);
}

/** Inject or uninject every document of a YAML (or JSON) stream; `source` names it in errors. */
export function transformManifests(
  text: string,
  source: string,
  mode: 'inject' | 'uninject',
  config: ProxyInjectConfig,
): InjectReport {
  const r: InjectReport = { yaml: '', notes: [], errors: [] };
  const out: string[] = [];
  parseAllDocuments(text).forEach((d, i) => {
    const path = `${source}[${i}]`;
    if (d.errors.length > 0) {
      r.errors.push(`${path}: ${d.errors[0]!.message}`);
      return;
    }
    const doc = d.toJS() as unknown;
    if (doc === null || doc === undefined) return;
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      r.errors.push(`${path}: wanted a Kubernetes object`);
      return;
    }
    transform(doc as Doc, path, mode, config, r);
    out.push(stringify(doc, { lineWidth: 0 }));
  });
  r.yaml = out.join('---\n');
  return r;
}
