import { z } from 'zod';
import { gatewayDuration, objectMeta } from './meta.js';

export const parentReference = z.looseObject({
  group: z.string().max(253).default('gateway.networking.k8s.io'),
  kind: z.string().min(1).max(63).default('Gateway'),
  namespace: z.string().optional(),
  name: z.string().min(1).max(253),
  sectionName: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
});
export type ParentReference = z.infer<typeof parentReference>;

export const headerName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/, 'an HTTP header name');

export const backendObjectReference = z.looseObject({
  group: z.string().default(''),
  kind: z.string().default('Service'),
  name: z.string().min(1).max(253),
  namespace: z.string().optional(),
  port: z.number().int().min(1).max(65535).optional(),
});

const headerModifier = z.looseObject({
  set: z
    .array(z.object({ name: headerName, value: z.string().min(1).max(4096) }))
    .max(16)
    .optional(),
  add: z
    .array(z.object({ name: headerName, value: z.string().min(1).max(4096) }))
    .max(16)
    .optional(),
  remove: z.array(headerName).max(16).optional(),
});

const pathModifier = z.looseObject({
  type: z.enum(['ReplaceFullPath', 'ReplacePrefixMatch']),
  replaceFullPath: z.string().max(1024).optional(),
  replacePrefixMatch: z.string().max(1024).optional(),
});

export const httpRouteFilter = z.looseObject({
  type: z.enum([
    'RequestHeaderModifier',
    'ResponseHeaderModifier',
    'RequestMirror',
    'RequestRedirect',
    'URLRewrite',
    'ExtensionRef',
    'CORS',
    'ExternalAuth',
  ]),
  requestHeaderModifier: headerModifier.optional(),
  responseHeaderModifier: headerModifier.optional(),
  requestMirror: z
    .looseObject({
      backendRef: backendObjectReference,
      percent: z.number().int().min(0).max(100).optional(),
      fraction: z
        .object({ numerator: z.number().int().min(0), denominator: z.number().int().min(1).default(100) })
        .optional(),
    })
    .optional(),
  requestRedirect: z
    .looseObject({
      scheme: z.enum(['http', 'https']).optional(),
      hostname: z.string().optional(),
      path: pathModifier.optional(),
      port: z.number().int().min(1).max(65535).optional(),
      statusCode: z
        .union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)])
        .default(302),
    })
    .optional(),
  urlRewrite: z.looseObject({ hostname: z.string().optional(), path: pathModifier.optional() }).optional(),
  extensionRef: z.looseObject({ group: z.string(), kind: z.string(), name: z.string() }).optional(),
  cors: z.looseObject({}).optional(),
});
export type HTTPRouteFilter = z.infer<typeof httpRouteFilter>;

export const httpRouteMatch = z.looseObject({
  path: z
    .looseObject({
      type: z.enum(['Exact', 'PathPrefix', 'RegularExpression']).default('PathPrefix'),
      value: z.string().max(1024).default('/'),
    })
    .default({ type: 'PathPrefix', value: '/' }),
  headers: z
    .array(
      z.looseObject({
        type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
        name: headerName,
        value: z.string().min(1).max(4096),
      }),
    )
    .max(16)
    .optional(),
  queryParams: z
    .array(
      z.looseObject({
        type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
        name: headerName,
        value: z.string().min(1).max(1024),
      }),
    )
    .max(16)
    .optional(),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']).optional(),
});
export type HTTPRouteMatch = z.infer<typeof httpRouteMatch>;

export const httpBackendRef = backendObjectReference.extend({
  weight: z.number().int().min(0).max(1_000_000).default(1),
  filters: z.array(httpRouteFilter).max(16).optional(),
});
export type HTTPBackendRef = z.infer<typeof httpBackendRef>;

export const httpRouteRule = z.looseObject({
  name: z.string().optional(),
  matches: z
    .array(httpRouteMatch)
    .max(64)
    .default([{ path: { type: 'PathPrefix', value: '/' } }]),
  filters: z.array(httpRouteFilter).max(16).optional(),
  backendRefs: z.array(httpBackendRef).max(16).optional(),
  timeouts: z
    .looseObject({ request: gatewayDuration.optional(), backendRequest: gatewayDuration.optional() })
    .optional(),
  retry: z
    .looseObject({
      codes: z.array(z.number().int().min(400).max(599)).optional(),
      attempts: z.number().int().min(0).optional(),
      backoff: gatewayDuration.optional(),
    })
    .optional(),
  sessionPersistence: z.looseObject({}).optional(),
});
export type HTTPRouteRule = z.infer<typeof httpRouteRule>;

export const httpRouteSchema = z.looseObject({
  apiVersion: z.enum(['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1beta1']),
  kind: z.literal('HTTPRoute'),
  metadata: objectMeta,
  spec: z.looseObject({
    parentRefs: z.array(parentReference).max(32).optional(),
    hostnames: z.array(z.string().min(1).max(253)).max(16).optional(),
    rules: z
      .array(httpRouteRule)
      .min(1)
      .max(16)
      .default([{ matches: [{ path: { type: 'PathPrefix', value: '/' } }] }]),
  }),
  status: z.looseObject({}).optional(),
});
export type HTTPRoute = z.infer<typeof httpRouteSchema>;
