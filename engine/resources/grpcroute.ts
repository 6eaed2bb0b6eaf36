import { z } from 'zod';
import { dnsLabel, objectMeta } from './meta.js';
import {
  checkFilterList,
  checkFilterUnion,
  checkRules,
  checkServicePort,
  fieldIssue,
  groupName,
  headerMatches,
  headerModifier,
  hostnames,
  kindName,
  localObjectReference,
  parentRefs,
  portNumber,
  requestMirror,
  sectionName,
  sessionPersistence,
  backendWeight,
} from './httproute.js';

/** Gateway API `gateway.networking.k8s.io/v1` GRPCRoute (gateway-api.md 2.8). */

const GRPC_SERVICE = /^\.?[a-z_][a-z_0-9]*(\.[a-z_][a-z_0-9]*)*$/i;
const GRPC_METHOD = /^[A-Za-z_][A-Za-z_0-9]*$/;

export const grpcMethodMatch = z
  .looseObject({
    type: z.enum(['Exact', 'RegularExpression']).default('Exact'),
    service: z.string().max(1024).optional(),
    method: z.string().max(1024).optional(),
  })
  .superRefine((m, ctx) => {
    if (m.service === undefined && m.method === undefined)
      return fieldIssue(ctx, [], 'one or both of service and method must be set');
    if (m.type !== 'Exact') return;
    if (m.service !== undefined && !GRPC_SERVICE.test(m.service))
      fieldIssue(ctx, ['service'], `expected a gRPC service name like pkg.Service, got ${JSON.stringify(m.service)}`);
    if (m.method !== undefined && !GRPC_METHOD.test(m.method))
      fieldIssue(ctx, ['method'], `expected a gRPC method name like SayHello, got ${JSON.stringify(m.method)}`);
  });

export const grpcRouteMatch = z.looseObject({
  method: grpcMethodMatch.optional(),
  headers: headerMatches.optional(),
});
export type GRPCRouteMatch = z.infer<typeof grpcRouteMatch>;

const grpcFilterTypes = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'] as const;

export const grpcRouteFilter = z
  .looseObject({
    type: z.enum(grpcFilterTypes),
    requestHeaderModifier: headerModifier.optional(),
    responseHeaderModifier: headerModifier.optional(),
    requestMirror: requestMirror.optional(),
    extensionRef: localObjectReference.optional(),
  })
  .superRefine(checkFilterUnion);
export type GRPCRouteFilter = z.infer<typeof grpcRouteFilter>;

const grpcFilterList = z.array(grpcRouteFilter).max(16).superRefine(checkFilterList);

export const grpcBackendRef = z
  .looseObject({
    group: groupName.default(''),
    kind: kindName.default('Service'),
    name: z.string().min(1).max(253),
    namespace: dnsLabel.optional(),
    port: portNumber.optional(),
    weight: backendWeight,
    filters: grpcFilterList.optional(),
  })
  .superRefine(checkServicePort);
export type GRPCBackendRef = z.infer<typeof grpcBackendRef>;

export const grpcRouteRule = z.looseObject({
  name: sectionName.optional(),
  matches: z.array(grpcRouteMatch).max(64).optional(),
  filters: grpcFilterList.optional(),
  backendRefs: z.array(grpcBackendRef).max(16).optional(),
  sessionPersistence: sessionPersistence.optional(),
});
export type GRPCRouteRule = z.infer<typeof grpcRouteRule>;

export const grpcRouteSchema = z.looseObject({
  apiVersion: z.enum(['gateway.networking.k8s.io/v1', 'gateway.networking.k8s.io/v1alpha2']),
  kind: z.literal('GRPCRoute'),
  metadata: objectMeta,
  spec: z.looseObject({
    parentRefs: parentRefs.optional(),
    hostnames: hostnames.optional(),
    rules: z.array(grpcRouteRule).max(16).superRefine(checkRules).optional(),
  }),
  status: z.looseObject({}).optional(),
});
export type GRPCRoute = z.infer<typeof grpcRouteSchema>;
