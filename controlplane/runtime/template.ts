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

/**
 * How a container becomes a local process: `command` + `args` (`node` is this Node; a relative path
 * with a slash is resolved against the manifests folder, a bare name on PATH), `env` values, and
 * `workingDir` relative to the folder (default: the folder itself).
 */
export function processSpec(
  container: Container,
  folder: string,
  baseEnv: Record<string, string | undefined>,
  runtimeVars: Record<string, string>,
): ProcessSpec {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(baseEnv)) if (v !== undefined) env[k] = v;
  const vars: Record<string, string> = { ...runtimeVars };
  for (const e of container.env ?? []) {
    if (e.value === undefined) continue; // valueFrom has no local meaning
    const v = expandVars(e.value, vars);
    vars[e.name] = v;
    env[e.name] = v;
  }
  Object.assign(env, runtimeVars); // PORT and the pod's identity are the runtime's to say
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
