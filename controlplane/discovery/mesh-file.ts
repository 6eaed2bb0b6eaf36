import { readFile } from 'node:fs/promises';
import {
  formatResourceError,
  parseManifests,
  type KubeObject,
  type ResourceError,
} from '../../engine/resources/index.js';
import { DISCOVERY_KINDS } from './store-config-source.js';

const KINDS = [...DISCOVERY_KINDS].join(', ');

/** What one read of a mesh file gives: every object, or every reason the file as a whole is refused. */
export type MeshFileResult =
  { ok: true; objects: KubeObject[]; warnings: string[] } | { ok: false; errors: string[]; warnings: string[] };

/**
 * Read a mesh file: one or more YAML (or JSON) documents of Kubernetes manifests, each validated by
 * its kind's schema. The file is all or nothing: one bad document refuses the whole file, so that a
 * proxy never routes with half of a change. Errors are `file[doc] field.path: message`.
 *
 * A document may also be a `kind: List` with `items` (what `kubectl get ... -o json` prints); an item's
 * errors are `file[doc] items[i].field.path: message`.
 *
 * The kinds discovery is made of (Service, EndpointSlice, HTTPRoute, GRPCRoute, Pod) are kept; other
 * valid kinds (a Deployment, a Canary: the same folder `weir up` reads) are left out with a warning.
 */
export async function readMeshFile(file: string): Promise<MeshFileResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      errors: [`${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`],
      warnings: [],
    };
  }
  return parseMeshFile(text, file);
}

/** `readMeshFile` on text already read. */
export function parseMeshFile(text: string, file: string): MeshFileResult {
  const parsed = parseManifests(text, file);
  const warnings = [...parsed.warnings];
  const errors: ResourceError[] = [...parsed.errors];
  const objects: KubeObject[] = [];
  const seen = new Set<string>();
  for (const object of parsed.objects) {
    const { kind } = object;
    const { namespace, name } = object.metadata;
    if (!DISCOVERY_KINDS.has(kind)) {
      warnings.push(`${file}: ${kind} ${namespace}/${name} left out: weir proxy routes with ${KINDS}`);
      continue;
    }
    const key = `${kind}/${namespace}/${name}`;
    if (seen.has(key)) {
      errors.push({ file, path: '', message: `${kind} ${namespace}/${name} appears more than once` });
      continue;
    }
    seen.add(key);
    objects.push(object);
  }
  if (errors.length > 0) return { ok: false, errors: errors.map(formatResourceError), warnings };
  return { ok: true, objects, warnings };
}
