import { createHash } from 'node:crypto';
import type express from 'express';
import type { KindInfo } from '../../engine/resources/index.js';
import { SERVED_VERSION, servedKinds } from './discovery.js';
import { kubePathOf } from './kube-paths.js';
import { openApiV2Protobuf } from './openapi-proto.js';

/**
 * OpenAPI v2 and v3 for the kinds served. Schemas are deliberately open (every field of an object is
 * kept: `x-kubernetes-preserve-unknown-fields`), because the API validates each object with its own
 * schema and answers 422 with the field; the documents tell clients which kinds and operations exist,
 * and that PATCH/PUT/POST take `fieldValidation`, so kubectl leaves validation to the server.
 */

const defName = (k: KindInfo) =>
  `${k.group === '' ? 'io.k8s.api.core' : k.group.split('.').reverse().join('.')}.${k.version}.${k.kind}`;

function definition(k: KindInfo): Record<string, unknown> {
  const open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  return {
    description: k.interpreted ? `${k.kind}, as Weir reads it` : `${k.kind}: stored and served, not acted on by Weir`,
    type: 'object',
    'x-kubernetes-group-version-kind': [{ group: k.group, version: k.version, kind: k.kind }],
    'x-kubernetes-preserve-unknown-fields': true,
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { ...open, description: 'Standard object metadata' },
      spec: open,
      status: open,
    },
  };
}

const param = (name: string, v3: boolean) =>
  v3
    ? { name, in: 'query', schema: { type: 'string' }, description: name }
    : { name, in: 'query', type: 'string', description: name };

function operations(k: KindInfo, v3: boolean, ref: string): Record<string, Record<string, unknown>> {
  const gvk = { group: k.group, version: k.version, kind: k.kind };
  const body = v3
    ? { requestBody: { content: { 'application/json': { schema: { $ref: ref } } } } }
    : { parameters: [{ name: 'body', in: 'body', required: true, schema: { $ref: ref } }] };
  const ok = v3
    ? { responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } } } }
    : { responses: { '200': { description: 'OK', schema: { $ref: ref } } } };
  const op = (action: string, extra: Record<string, unknown> = {}, writes = false) => {
    const e = extra as { parameters?: unknown[] };
    return {
      operationId: `${action}${k.kind}`,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      ...ok,
      ...extra,
      parameters: [
        ...(e.parameters ?? []),
        ...(writes ? ['dryRun', 'fieldManager', 'fieldValidation'].map((n) => param(n, v3)) : []),
      ],
    };
  };
  const item: Record<string, unknown> = {
    get: op('get'),
    put: op('put', body, true),
    patch: op('patch', { ...body, parameters: [...(v3 ? [] : []), param('force', v3)] }, true),
    delete: op('delete'),
  };
  const collection: Record<string, unknown> = {
    get: op('list', {
      parameters: ['labelSelector', 'fieldSelector', 'resourceVersion', 'watch'].map((n) => param(n, v3)),
    }),
    post: op('post', body, true),
  };
  const ns = k.namespaced ? '{namespace}' : undefined;
  return {
    [kubePathOf(k, ns)]: collection,
    [kubePathOf(k, ns, '{name}')]: item,
  } as Record<string, Record<string, unknown>>;
}

export function openApiV2(): Record<string, unknown> {
  const definitions: Record<string, unknown> = {};
  const paths: Record<string, unknown> = {};
  for (const k of servedKinds()) {
    definitions[defName(k)] = definition(k);
    Object.assign(paths, operations(k, false, `#/definitions/${defName(k)}`));
  }
  return { swagger: '2.0', info: { title: 'Weir', version: SERVED_VERSION.gitVersion }, paths, definitions };
}

function gvPath(k: KindInfo): string {
  return k.group === '' ? `api/${k.version}` : `apis/${k.group}/${k.version}`;
}

export function openApiV3(path: string): Record<string, unknown> | undefined {
  const served = servedKinds().filter((k) => gvPath(k) === path);
  if (served.length === 0) return undefined;
  const schemas: Record<string, unknown> = {};
  const paths: Record<string, unknown> = {};
  for (const k of served) {
    schemas[defName(k)] = definition(k);
    Object.assign(paths, operations(k, true, `#/components/schemas/${defName(k)}`));
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Weir', version: SERVED_VERSION.gitVersion },
    paths,
    components: { schemas },
  };
}

function hashOf(doc: unknown): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').slice(0, 128).toUpperCase();
}

export function mountOpenApi(app: express.Express): void {
  app.get('/openapi/v2', (req, res) => {
    const accept = req.get('accept') ?? '*/*';
    if (/json|\*\/\*/.test(accept)) {
      res.json(openApiV2());
      return;
    }
    if (accept.includes('protobuf')) {
      // as kube-openapi answers it (a media type with "@" is not one Go's mime parser accepts)
      res.type('application/octet-stream').send(openApiV2Protobuf('Weir', SERVED_VERSION.gitVersion));
      return;
    }
    res.status(406).json({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'NotAcceptable',
      code: 406,
      message: 'only application/json and protobuf are served',
    });
  });
  app.get('/openapi/v3', (_req, res) => {
    const paths: Record<string, unknown> = {};
    for (const p of new Set(servedKinds().map(gvPath))) {
      paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${hashOf(openApiV3(p))}` };
    }
    res.json({ paths });
  });
  app.get(/^\/openapi\/v3\/(.+)$/, (req, res, next) => {
    const doc = openApiV3(req.path.slice('/openapi/v3/'.length));
    if (!doc) return next();
    res.json(doc);
  });
}
