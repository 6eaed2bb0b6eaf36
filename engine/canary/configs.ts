import type { PodTemplate } from '../resources/index.js';
import { sha256, toHex, utf8 } from './sha256.js';

/**
 * Flagger's config tracking (`pkg/canary/config_tracker.go`, reference 2 and 3.10): the ConfigMaps and
 * Secrets a target's pod template references (env `valueFrom`, `envFrom`, `configMap`/`secret` volumes and
 * projected sources, in containers and init containers) are hashed into `status.trackedConfigs`
 * (`configmap/<name>` | `secret/<name>` -> the first 8 bytes of the SHA-256 of the data, in hex). A change
 * of a tracked config's data is a new revision even when the pod template did not change, and the primary
 * runs on `<name>-primary` copies, so the canary's config never reaches the primary before promotion.
 *
 * Everything here is pure: the target adapter looks the objects up and passes them in.
 */

export type ConfigKind = 'configmap' | 'secret';

export interface ConfigRef {
  kind: ConfigKind;
  name: string;
}

/** `flagger.app/config-tracking: disabled` on a ConfigMap or Secret opts it out. */
export const CONFIG_TRACKING_ANNOTATION = 'flagger.app/config-tracking';

/** Secret types Flagger tracks; others (registry credentials, service-account tokens) are ignored. */
export const TRACKED_SECRET_TYPES: ReadonlySet<string> = new Set([
  'Opaque',
  'kubernetes.io/basic-auth',
  'kubernetes.io/ssh-auth',
  'kubernetes.io/tls',
]);

/** What the tracker needs of one ConfigMap or Secret. */
export interface TrackableConfig {
  /** ConfigMap `data`, or Secret `data` (base64 values, `stringData` already merged in) */
  data?: Record<string, string> | undefined;
  annotations?: Record<string, string> | undefined;
  /** Secret `type` (default Opaque) */
  type?: string | undefined;
}

export const configKey = (ref: ConfigRef): string => `${ref.kind}/${ref.name}`;

/** Every ConfigMap and Secret the template references, each once, in order of appearance. */
export function configRefs(template: PodTemplate): ConfigRef[] {
  const out: ConfigRef[] = [];
  const seen = new Set<string>();
  const add = (kind: ConfigKind, name: string | undefined) => {
    if (!name) return;
    const ref = { kind, name };
    if (seen.has(configKey(ref))) return;
    seen.add(configKey(ref));
    out.push(ref);
  };
  for (const v of template.spec.volumes ?? []) {
    add('configmap', v.configMap?.name);
    add('secret', v.secret?.secretName);
    for (const s of v.projected?.sources ?? []) {
      add('configmap', s.configMap?.name);
      add('secret', s.secret?.name);
    }
  }
  for (const c of [...template.spec.containers, ...(template.spec.initContainers ?? [])]) {
    for (const e of c.env ?? []) {
      add('configmap', e.valueFrom?.configMapKeyRef?.name);
      add('secret', e.valueFrom?.secretKeyRef?.name);
    }
    for (const e of c.envFrom ?? []) {
      add('configmap', e.configMapRef?.name);
      add('secret', e.secretRef?.name);
    }
  }
  return out;
}

/**
 * A string as Go's `encoding/json` writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped, control
 * characters as `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`.
 */
function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029)
      out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** `json.Marshal` of a `map[string]string` (keys sorted; a nil map is `null`). */
export function goJsonMap(data: Record<string, string> | undefined): string {
  if (data === undefined) return 'null';
  const keys = Object.keys(data).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${goJsonString(k)}:${goJsonString(data[k]!)}`).join(',')}}`;
}

/** Flagger `checksum`: hex of the first 8 bytes of the SHA-256 of the JSON of the data. */
export function configChecksum(data: Record<string, string> | undefined): string {
  return toHex(sha256(utf8(goJsonMap(data))).subarray(0, 8));
}

/**
 * `status.trackedConfigs` for a template: each referenced config that exists, is not opted out and (for
 * Secrets) has a tracked type, with its checksum. Missing configs are skipped, as Flagger logs and skips them.
 */
export function trackedConfigs(
  template: PodTemplate,
  lookup: (ref: ConfigRef) => TrackableConfig | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ref of configRefs(template)) {
    const cfg = lookup(ref);
    if (!cfg) continue;
    if (cfg.annotations?.[CONFIG_TRACKING_ANNOTATION] === 'disabled') continue;
    if (ref.kind === 'secret' && !TRACKED_SECRET_TYPES.has(cfg.type ?? 'Opaque')) continue;
    out[configKey(ref)] = configChecksum(cfg.data);
  }
  return out;
}

/**
 * Flagger `HasConfigChanged`: the configs the target references now against `status.trackedConfigs`. No
 * status yet counts as none tracked (Flagger: nil), so a target that references configs is a change.
 */
export function configsChanged(
  current: Record<string, string> | undefined,
  tracked: Record<string, string> | undefined,
): boolean {
  const now = current ?? {};
  const before = tracked ?? {};
  const keys = Object.keys(now);
  if (keys.length !== Object.keys(before).length) return true;
  return keys.some((k) => before[k] !== now[k]);
}

/** The name of a config's copy for the primary. */
export const primaryConfigName = (name: string): string => `${name}-primary`;

/**
 * Flagger `ApplyPrimaryConfigs`: the template with every reference to a tracked config renamed to its
 * `-primary` copy (volumes, projected sources, env `valueFrom` and `envFrom` of containers and init
 * containers). References to configs that are not tracked stay as they are. Returns a copy.
 */
export function withPrimaryConfigs<T extends PodTemplate>(template: T, tracked: Record<string, string>): T {
  const t = structuredClone(template);
  const is = (kind: ConfigKind, name: string | undefined): name is string =>
    name !== undefined && Object.hasOwn(tracked, configKey({ kind, name }));
  for (const v of t.spec.volumes ?? []) {
    if (v.configMap && is('configmap', v.configMap.name)) v.configMap.name = primaryConfigName(v.configMap.name);
    if (v.secret && is('secret', v.secret.secretName)) v.secret.secretName = primaryConfigName(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap && is('configmap', s.configMap.name)) s.configMap.name = primaryConfigName(s.configMap.name);
      if (s.secret && is('secret', s.secret.name)) s.secret.name = primaryConfigName(s.secret.name);
    }
  }
  for (const c of [...t.spec.containers, ...(t.spec.initContainers ?? [])]) {
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      if (cm && is('configmap', cm.name)) cm.name = primaryConfigName(cm.name);
      const sk = e.valueFrom?.secretKeyRef;
      if (sk && is('secret', sk.name)) sk.name = primaryConfigName(sk.name);
    }
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef && is('configmap', e.configMapRef.name))
        e.configMapRef.name = primaryConfigName(e.configMapRef.name);
      if (e.secretRef && is('secret', e.secretRef.name)) e.secretRef.name = primaryConfigName(e.secretRef.name);
    }
  }
  return t;
}
