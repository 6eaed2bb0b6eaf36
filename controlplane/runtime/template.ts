import { createHash, randomInt } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Container, PodTemplate } from '../../engine/resources/index.js';

/** Kubernetes' "safe" alphabet for generated name suffixes (no vowels, no confusable digits) */
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** the `pod-template-hash` of a template: equal templates, equal hashes */
export function templateHash(template: PodTemplate): string {
  const digest = createHash('sha256').update(canonicalJson(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += ALPHABET[digest[i]! % ALPHABET.length];
  return out;
}

export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
  return out;
}

/** Kubernetes' `$(VAR)` expansion in command, args and env values; `$$(VAR)` stays literal. */
export function expandVars(value: string, vars: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    const v = name === undefined ? undefined : vars[name];
    return v ?? m;
  });
}

export interface ProcessSpec {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** The ConfigMaps and Secrets of the pod's namespace, for env `valueFrom` and `envFrom` (Secret values decoded). */
export interface EnvSources {
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, string> | undefined;
}

/** The pod's own fields for env `valueFrom.fieldRef` (the Downward API). */
export interface PodFields {
  name: string;
  namespace: string;
  podIP: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const NO_SOURCES: EnvSources = { configMap: () => undefined, secret: () => undefined };
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The decoded data of a Secret as the API server serves it: `data` (base64) with `stringData` over it. */
export function secretValues(secret: {
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  Object.assign(out, secret.stringData ?? {});
  return out;
}

function fieldValue(path: string, pod: PodFields | undefined): string | undefined {
  if (pod === undefined) return undefined;
  const m = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (m !== null) return (m[1] === 'labels' ? pod.labels : pod.annotations)?.[m[2] as string] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.name;
    case 'metadata.namespace':
      return pod.namespace;
    case 'status.podIP':
    case 'status.hostIP':
      return pod.podIP;
    case 'spec.nodeName':
      return 'localhost';
    default:
      return undefined;
  }
}

/**
 * The environment of a container as the kubelet builds it: `envFrom` first (each ConfigMap or Secret
 * whole, keys behind `prefix`; keys that are not valid variable names are skipped), then `env` in order
 * (`value` with `$(VAR)` expanded against what came before, or `valueFrom`: a ConfigMap or Secret key, or
 * a pod field). A missing ConfigMap, Secret or key that is not `optional` is an error naming it, as the
 * kubelet's CreateContainerConfigError.
 */
export function containerEnv(
  container: Container,
  runtimeVars: Record<string, string>,
  sources: EnvSources = NO_SOURCES,
  pod?: PodFields,
): Record<string, string> {
  const vars: Record<string, string> = { ...runtimeVars };
  const env: Record<string, string> = {};
  const set = (name: string, value: string) => {
    // `$(PORT)` and the pod's identity always expand to the runtime's values
    if (!(name in runtimeVars)) vars[name] = value;
    env[name] = value;
  };
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (ref === undefined) continue;
    const what = from.configMapRef !== undefined ? 'configmap' : 'secret';
    const data = from.configMapRef !== undefined ? sources.configMap(ref.name) : sources.secret(ref.name);
    if (data === undefined) {
      if (ref.optional === true) continue;
      throw new Error(`${what} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) {
      const name = `${from.prefix ?? ''}${k}`;
      if (ENV_NAME.test(name)) set(name, v);
    }
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) {
      set(e.name, expandVars(e.value, vars));
      continue;
    }
    const vf = e.valueFrom;
    if (vf === undefined) {
      set(e.name, '');
      continue;
    }
    const keyRef = vf.configMapKeyRef ?? vf.secretKeyRef;
    if (keyRef !== undefined) {
      const what = vf.configMapKeyRef !== undefined ? 'configmap' : 'secret';
      const data = vf.configMapKeyRef !== undefined ? sources.configMap(keyRef.name) : sources.secret(keyRef.name);
      const v = data?.[keyRef.key];
      if (v !== undefined) set(e.name, v);
      else if (keyRef.optional !== true) {
        throw new Error(
          data === undefined
            ? `${what} "${keyRef.name}" not found (env ${e.name})`
            : `couldn't find key ${keyRef.key} in ${what === 'configmap' ? 'ConfigMap' : 'Secret'} ${keyRef.name} (env ${e.name})`,
        );
      }
      continue;
    }
    if (vf.fieldRef !== undefined) {
      const v = fieldValue(vf.fieldRef.fieldPath, pod);
      if (v === undefined) throw new Error(`unsupported fieldPath ${vf.fieldRef.fieldPath} (env ${e.name})`);
      set(e.name, v);
    }
    // resourceFieldRef (limits/requests) has no local meaning: left unset
  }
  return env;
}

/**
 * How a container becomes a local process: `command` + `args` (`node` is this Node; a relative path
 * with a slash is resolved against the manifests folder, a bare name on PATH), its environment
 * (`containerEnv`: `env`, `envFrom`, `valueFrom`) over `baseEnv`, and `workingDir` relative to the folder
 * (default: the folder itself).
 */
export function processSpec(
  container: Container,
  folder: string,
  baseEnv: Record<string, string | undefined>,
  runtimeVars: Record<string, string>,
  sources?: EnvSources,
  pod?: PodFields,
): ProcessSpec {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
  const own = containerEnv(container, runtimeVars, sources, pod);
  Object.assign(env, own, runtimeVars); // PORT and the pod's identity are the runtime's to say
  const vars: Record<string, string> = { ...own, ...runtimeVars };
  const argv = [...(container.command ?? []), ...(container.args ?? [])].map((a) => expandVars(a, vars));
  const [first, ...args] = argv;
  if (first === undefined || first === '') {
    throw new Error(`container ${container.name} has no command or args to run`);
  }
  let file = first;
  if (file === 'node') file = process.execPath;
  else if (!isAbsolute(file) && (file.includes('/') || file.includes('\\'))) file = resolve(folder, file);
  const cwd = container.workingDir ? resolve(folder, container.workingDir) : folder;
  return { file, args, cwd, env };
}
