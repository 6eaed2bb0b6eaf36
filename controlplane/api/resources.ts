import type { NextFunction, Request, Response } from 'express';
import { parse as parseYaml } from 'yaml';
import { decodeResource, kinds, type KindInfo, type KubeObject } from '../../engine/resources/index.js';
import { ResourceValidationError, retryOnConflict, type ResourceStore } from '../store/resource-store.js';
import { groupVersionOf } from './discovery.js';
import { parseKubePath } from './kube-paths.js';
import { recordUpdate, serverSideApply } from './managed-fields.js';
import { applyPatch, isBuiltInGroup, patchTypeOf } from './patch.js';
import { scaleObject, withReplicas } from './scale.js';
import { fieldSelector, labelSelector, type Matcher } from './selectors.js';
import { ApiStatusError, badRequest, notFound, sendStatus, toApiError } from './status.js';
import { toTable, wantsTable } from './table.js';
import { serveWatch } from './watch.js';

type JsonObject = Record<string, unknown>;

export interface ResourceRoutesOptions {
  store: ResourceStore;
  /** how often a watch with allowWatchBookmarks gets a BOOKMARK; default 15 s */
  bookmarkIntervalMs?: number;
  /** a watch without timeoutSeconds ends after this; default 30 min, as the API server's range */
  maxWatchMs?: number;
}

const q = (req: Request, name: string): string | undefined => {
  const v = req.query[name];
  return typeof v === 'string' ? v : undefined;
};

/** Cluster-scoped objects are kept under namespace "" and served without it. */
function present(info: KindInfo) {
  return (o: KubeObject): KubeObject => {
    if (info.namespaced) return o;
    const { namespace: _ns, ...metadata } = o.metadata;
    return { ...o, metadata: metadata as KubeObject['metadata'] };
  };
}

/** `kubectl` sends `fieldManager`; without one the API server names the client from its User-Agent. */
function managerOf(req: Request): string {
  const fm = q(req, 'fieldManager');
  if (fm) return fm;
  const ua = req.get('user-agent') ?? 'unknown';
  return ua.split('/')[0] || 'unknown';
}

function bodyObject(req: Request): JsonObject {
  const b: unknown = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b))
    throw badRequest('the request body must be a JSON object');
  return structuredClone(b as JsonObject);
}

function metaOf(o: JsonObject): JsonObject {
  const m = o.metadata;
  return m !== null && typeof m === 'object' && !Array.isArray(m) ? (m as JsonObject) : {};
}

/** Kinds whose spec changes are counted in metadata.generation and whose status is written separately. */
const hasStatus = (o: JsonObject) => o.kind !== 'ConfigMap' && o.kind !== 'Secret';

/**
 * The REST verbs over the store, on Kubernetes paths: list/watch with selectors and resourceVersions,
 * get, create, update with optimistic concurrency, patch (JSON, merge, strategic, server-side apply),
 * delete with propagation, and the status and scale subresources.
 */
export function resourceRoutes(options: ResourceRoutesOptions) {
  const { store } = options;

  function stamp(info: KindInfo, o: JsonObject, namespace: string, name: string): KubeObject {
    if (o.kind !== undefined && o.kind !== info.kind)
      throw badRequest(
        `the kind in the body (${String(o.kind)}) does not match the resource of the path (${info.kind})`,
      );
    const metadata = { ...metaOf(o), name, namespace: info.namespaced ? namespace : '' };
    return {
      ...o,
      apiVersion: typeof o.apiVersion === 'string' ? o.apiVersion : groupVersionOf(info),
      kind: info.kind,
      metadata,
    } as KubeObject;
  }

  /** validate without storing (`dryRun=All`): the object as it would be stored */
  function dryRun(o: KubeObject, prev: KubeObject | undefined): KubeObject {
    const d = decodeResource(structuredClone(o));
    if (!d.ok) throw new ResourceValidationError(d.errors);
    const m = d.object.metadata;
    if (prev) {
      m.uid = prev.metadata.uid;
      m.creationTimestamp = prev.metadata.creationTimestamp;
      m.resourceVersion = prev.metadata.resourceVersion;
      m.generation = prev.metadata.generation;
    }
    return d.object;
  }

  async function write(
    req: Request,
    o: KubeObject,
    prev: KubeObject | undefined,
    mode: 'create' | 'update' | 'upsert',
    resourceVersion: string | undefined,
  ): Promise<KubeObject> {
    if (q(req, 'dryRun') === 'All') return dryRun(o, prev);
    return store.apply(o, { manager: managerOf(req), mode, ...(resourceVersion ? { resourceVersion } : {}) });
  }

  /** the status subresource: only `.status` changes, with the resourceVersion as precondition */
  async function writeStatus(req: Request, info: KindInfo, prev: KubeObject, status: unknown, rv: string | undefined) {
    if (q(req, 'dryRun') === 'All') return { ...prev, status };
    const { namespace, name } = prev.metadata;
    return store.patchStatus(info.kind, namespace, name, status, rv ? { resourceVersion: rv } : {});
  }

  function list(req: Request, res: Response, info: KindInfo, namespace: string | undefined): void {
    const byLabel = labelSelector(q(req, 'labelSelector'));
    const byField = fieldSelector(q(req, 'fieldSelector'));
    const matches: Matcher = (o) => byLabel(o) && byField(o);
    const out = present(info);
    const table = wantsTable(req.get('accept'));
    const watch = q(req, 'watch');
    if (watch === 'true' || watch === '1') {
      const timeoutSeconds = Number(q(req, 'timeoutSeconds'));
      serveWatch(store, req, res, {
        info,
        namespace,
        matches,
        resourceVersion: q(req, 'resourceVersion'),
        bookmarks: q(req, 'allowWatchBookmarks') === 'true',
        initialEventsEnd: q(req, 'sendInitialEvents') === 'true',
        timeoutMs:
          Number.isFinite(timeoutSeconds) && timeoutSeconds > 0
            ? timeoutSeconds * 1000
            : (options.maxWatchMs ?? 30 * 60_000),
        bookmarkIntervalMs: options.bookmarkIntervalMs ?? 15_000,
        table: table ? { includeObject: q(req, 'includeObject') } : undefined,
        present: out,
      });
      return;
    }
    const items = store.list(info.kind, namespace).filter(matches).map(out);
    const metadata = { resourceVersion: store.currentVersion() };
    if (table) {
      res.json(toTable(info, items, metadata, q(req, 'includeObject')));
      return;
    }
    res.json({ apiVersion: groupVersionOf(info), kind: `${info.kind}List`, metadata, items });
  }

  async function create(req: Request, res: Response, info: KindInfo, namespace: string): Promise<void> {
    const body = bodyObject(req);
    const meta = metaOf(body);
    if (info.namespaced && meta.namespace !== undefined && meta.namespace !== namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    let name = typeof meta.name === 'string' ? meta.name : '';
    if (name === '' && typeof meta.generateName === 'string')
      name = `${meta.generateName}${Math.random().toString(36).slice(2, 7)}`;
    if (name === '')
      throw new ApiStatusError(
        422,
        'Invalid',
        `${info.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        {
          kind: info.kind,
          causes: [
            {
              reason: 'FieldValueRequired',
              message: 'Required value: name or generateName is required',
              field: 'metadata.name',
            },
          ],
        },
      );
    if (hasStatus(body)) delete body.status;
    const { resourceVersion: _rv, ...m } = meta;
    const obj = stamp(info, recordUpdate(undefined, { ...body, metadata: m }, managerOf(req)), namespace, name);
    try {
      const stored = await write(req, obj, undefined, 'create', undefined);
      res.status(201).json(present(info)(stored));
    } catch (err) {
      throw toApiError(err, info, name);
    }
  }

  async function replace(
    req: Request,
    res: Response,
    info: KindInfo,
    namespace: string,
    name: string,
    sub?: string,
  ): Promise<void> {
    const body = bodyObject(req);
    const meta = metaOf(body);
    if (meta.name !== undefined && meta.name !== name)
      throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    if (info.namespaced && meta.namespace !== undefined && meta.namespace !== namespace)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    const rv =
      typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' ? meta.resourceVersion : undefined;
    const prev = store.get(info.kind, namespace, name);
    if (sub === 'status') {
      if (!prev) throw notFound(info, name);
      const stored = await writeStatus(req, info, prev, body.status, rv);
      res.json(present(info)(stored));
      return;
    }
    if (sub === 'scale') {
      if (!prev) throw notFound(info, name);
      const replicas = (body.spec as { replicas?: unknown } | undefined)?.replicas;
      const stored = await write(req, withReplicas(info, prev, replicas), prev, 'update', rv);
      res.json(scaleObject(info, stored));
      return;
    }
    if (!prev) throw notFound(info, name);
    if (hasStatus(body)) body.status = prev.status;
    const stored = await write(
      req,
      stamp(info, recordUpdate(prev, body, managerOf(req)), namespace, name),
      prev,
      'update',
      rv,
    );
    res.json(present(info)(stored));
  }

  async function patch(
    req: Request,
    res: Response,
    info: KindInfo,
    namespace: string,
    name: string,
    sub?: string,
  ): Promise<void> {
    const type = patchTypeOf(req.get('content-type'));
    const raw: unknown = type === 'apply' ? parseApplyBody(req) : req.body;
    const manager = managerOf(req);
    let created = false;
    const stored = await retryOnConflict(async () => {
      const prev = store.get(info.kind, namespace, name);
      if (type === 'apply') {
        if (q(req, 'fieldManager') === undefined)
          throw badRequest('PATCH, apply: fieldManager is required for apply requests');
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
          throw badRequest('an apply patch must be an object');
        const applied = raw as JsonObject;
        const am = metaOf(applied);
        if (am.name !== undefined && am.name !== name)
          throw badRequest(`the name of the object (${String(am.name)}) does not match the name on the URL (${name})`);
        if (sub === 'scale')
          throw new ApiStatusError(415, 'UnsupportedMediaType', 'apply to the scale subresource is not supported');
        const force = q(req, 'force') === 'true';
        if (sub === 'status') {
          if (!prev) throw notFound(info, name);
          const merged = serverSideApply(prev, applied, manager, force, 'status');
          return writeStatus(req, info, prev, merged.status, prev.metadata.resourceVersion);
        }
        const merged = serverSideApply(prev, applied, manager, force);
        created = !prev;
        if (prev && hasStatus(merged)) merged.status = prev.status;
        return write(
          req,
          stamp(info, merged, namespace, name),
          prev,
          prev ? 'update' : 'create',
          prev?.metadata.resourceVersion,
        );
      }
      if (!prev) throw notFound(info, name);
      if (sub === 'scale') {
        const scale = applyPatch(type, scaleObject(info, prev), raw, true) as { spec?: { replicas?: unknown } };
        return write(
          req,
          withReplicas(info, prev, scale.spec?.replicas),
          prev,
          'update',
          prev.metadata.resourceVersion,
        );
      }
      const patched = applyPatch(type, prev, raw, isBuiltInGroup(info.group)) as JsonObject;
      if (patched === null || typeof patched !== 'object') throw badRequest('the patch does not leave an object');
      const pm = metaOf(patched);
      const rv =
        typeof pm.resourceVersion === 'string' && pm.resourceVersion !== prev.metadata.resourceVersion
          ? pm.resourceVersion
          : prev.metadata.resourceVersion;
      if (sub === 'status') {
        return writeStatus(req, info, prev, patched.status, rv);
      }
      if (hasStatus(patched)) patched.status = prev.status;
      return write(req, stamp(info, recordUpdate(prev, patched, manager), namespace, name), prev, 'update', rv);
    }).catch((err: unknown) => {
      throw toApiError(err, info, name);
    });
    if (sub === 'scale') res.json(scaleObject(info, stored));
    else res.status(created ? 201 : 200).json(present(info)(stored));
  }

  async function remove(req: Request, res: Response, info: KindInfo, namespace: string, name: string): Promise<void> {
    const prev = store.get(info.kind, namespace, name);
    if (!prev) throw notFound(info, name);
    const opts = (req.body && typeof req.body === 'object' ? req.body : {}) as {
      propagationPolicy?: string;
      preconditions?: { resourceVersion?: string; uid?: string };
      orphanDependents?: boolean;
    };
    const policy =
      q(req, 'propagationPolicy') ?? opts.propagationPolicy ?? (opts.orphanDependents ? 'Orphan' : 'Background');
    if (!['Background', 'Foreground', 'Orphan'].includes(policy))
      throw badRequest(
        `propagationPolicy must be one of Background, Foreground, Orphan (got ${JSON.stringify(policy)})`,
      );
    if (opts.preconditions?.uid && opts.preconditions.uid !== prev.metadata.uid)
      throw new ApiStatusError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${opts.preconditions.uid}, UID in object meta: ${prev.metadata.uid ?? ''}`,
      );
    if (q(req, 'dryRun') === 'All') {
      res.json(present(info)(prev));
      return;
    }
    const rv = opts.preconditions?.resourceVersion;
    await store.delete(info.kind, namespace, name, rv ? { resourceVersion: rv } : {});
    // held by finalizers: the object stays, with its deletionTimestamp, until they are removed
    const held = store.get(info.kind, namespace, name);
    if (held !== undefined) {
      res.json(present(info)(held));
      return;
    }
    await cascade(prev, policy);
    res.json(present(info)(prev));
  }

  /** dependents (ownerReferences to the deleted uid): deleted in the background/foreground, or orphaned */
  async function cascade(owner: KubeObject, policy: string): Promise<void> {
    const uid = owner.metadata.uid;
    if (!uid) return;
    for (const kind of Object.keys(kinds)) {
      for (const o of store.list(kind)) {
        const refs = (o.metadata as { ownerReferences?: Array<{ uid?: string }> }).ownerReferences;
        if (!Array.isArray(refs) || !refs.some((r) => r.uid === uid)) continue;
        if (policy === 'Orphan') {
          const rest = refs.filter((r) => r.uid !== uid);
          const metadata = { ...o.metadata, ownerReferences: rest.length > 0 ? rest : undefined };
          await store.apply({ ...o, metadata } as KubeObject, { manager: 'garbage-collector' }).catch(() => undefined);
        } else if (await store.delete(o.kind, o.metadata.namespace, o.metadata.name)) {
          await cascade(o, policy);
        }
      }
    }
  }

  return async function handle(req: Request, res: Response, next: NextFunction): Promise<void> {
    const p = parseKubePath(req.path);
    if (!p) {
      next();
      return;
    }
    const { info, namespace, name, subresource } = p;
    try {
      if (subresource !== undefined && subresource !== 'status' && !(subresource === 'scale' && info.scale))
        throw new ApiStatusError(
          404,
          'NotFound',
          `the server could not find the requested resource (${info.plural}/${subresource})`,
        );
      if (name === undefined) {
        if (req.method === 'GET') return list(req, res, info, namespace === '' ? undefined : namespace);
        if (req.method === 'POST') {
          if (info.namespaced && namespace === undefined)
            throw new ApiStatusError(
              405,
              'MethodNotAllowed',
              `POST to all namespaces: use /namespaces/NS/${info.plural}`,
            );
          return await create(req, res, info, namespace ?? '');
        }
        if (req.method === 'DELETE') {
          const matches = labelSelector(q(req, 'labelSelector'));
          const f = fieldSelector(q(req, 'fieldSelector'));
          const gone = store
            .list(info.kind, namespace === '' ? undefined : namespace)
            .filter((o) => matches(o) && f(o));
          for (const o of gone) await store.delete(info.kind, o.metadata.namespace, o.metadata.name);
          res.json({
            apiVersion: groupVersionOf(info),
            kind: `${info.kind}List`,
            metadata: { resourceVersion: store.currentVersion() },
            items: gone.map(present(info)),
          });
          return;
        }
        throw new ApiStatusError(405, 'MethodNotAllowed', `${req.method} is not supported on a collection`);
      }
      if (info.namespaced && namespace === undefined)
        throw new ApiStatusError(
          404,
          'NotFound',
          `the server could not find the requested resource: ${info.plural} are namespaced`,
        );
      const ns = namespace ?? '';
      if (req.method === 'GET') {
        const obj = store.get(info.kind, ns, name);
        if (!obj) throw notFound(info, name);
        if (subresource === 'scale') res.json(scaleObject(info, obj));
        else if (wantsTable(req.get('accept')) && subresource === undefined)
          res.json(
            toTable(
              info,
              [present(info)(obj)],
              { resourceVersion: obj.metadata.resourceVersion },
              q(req, 'includeObject'),
            ),
          );
        else res.json(present(info)(obj));
        return;
      }
      if (req.method === 'PUT')
        return await replace(req, res, info, ns, name, subresource).catch((err: unknown) => {
          throw toApiError(err, info, name);
        });
      if (req.method === 'PATCH') return await patch(req, res, info, ns, name, subresource);
      if (req.method === 'DELETE' && subresource === undefined)
        return await remove(req, res, info, ns, name).catch((err: unknown) => {
          throw toApiError(err, info, name);
        });
      throw new ApiStatusError(405, 'MethodNotAllowed', `${req.method} is not supported on ${req.path}`);
    } catch (err) {
      sendStatus(res, toApiError(err, info, name ?? ''));
    }
  };
}

function parseApplyBody(req: Request): unknown {
  const b: unknown = req.body;
  if (typeof b === 'string' || Buffer.isBuffer(b)) {
    try {
      return parseYaml(b.toString()) as unknown;
    } catch (err) {
      throw badRequest(`error decoding YAML: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return b;
}
