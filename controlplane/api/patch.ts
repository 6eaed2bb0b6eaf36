import fastJsonPatch, { type Operation } from 'fast-json-patch';
import * as mergePatch from 'json-merge-patch';
import { badRequest, ApiStatusError } from './status.js';
import { strategicMerge } from './strategic-merge.js';

/**
 * Groups of Kubernetes itself (core, apps, batch, *.k8s.io): strategic merge patch applies to their kinds;
 * custom resources (flagger.app, gateway.networking.k8s.io, other CRDs) take JSON and merge patches only.
 */
export function isBuiltInGroup(group: string): boolean {
  if (group === 'gateway.networking.k8s.io') return false;
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

export type PatchType = 'json' | 'merge' | 'strategic' | 'apply';

const contentTypes: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
  'application/apply-patch+json': 'apply',
};

/** The patch type of a PATCH request's Content-Type, else 415 as the API server answers. */
export function patchTypeOf(contentType: string | undefined): PatchType {
  const base = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const t = contentTypes[base];
  if (!t)
    throw new ApiStatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: ${Object.keys(contentTypes).join(', ')}`,
    );
  return t;
}

/**
 * JSON patch (RFC 6902, fast-json-patch), merge patch (RFC 7386, json-merge-patch) or strategic merge
 * patch; `strategic` only for `builtIn` kinds, as the API server answers 415 for custom resources.
 */
export function applyPatch(
  type: Exclude<PatchType, 'apply'>,
  original: unknown,
  patch: unknown,
  builtIn: boolean,
): unknown {
  if (type === 'json') {
    if (!Array.isArray(patch)) throw badRequest('a JSON patch must be a list of operations');
    try {
      return fastJsonPatch.applyPatch(structuredClone(original), patch as Operation[], true, false).newDocument;
    } catch (err) {
      const e = err as { name?: string; message?: string };
      if (e.name === 'TEST_OPERATION_FAILED')
        throw new ApiStatusError(
          422,
          'Invalid',
          'the server rejected our request due to an error in our request: test failed',
        );
      throw new ApiStatusError(
        422,
        'Invalid',
        `the server rejected our request due to an error in our request: ${(e.message ?? String(err)).split('\n')[0]}`,
      );
    }
  }
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch))
    throw badRequest(`a ${type} merge patch must be a JSON object`);
  if (type === 'merge') return mergePatch.apply(structuredClone(original), patch);
  if (!builtIn)
    throw new ApiStatusError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
  return strategicMerge(original, patch);
}
