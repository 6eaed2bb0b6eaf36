import type { z } from 'zod';
import {
  httpRouteSchema,
  serviceSchema,
  type httpBackendRef,
  type httpRouteMatch,
  type httpRouteRule,
  type HTTPRoute,
  type Service,
} from '../../../engine/resources/index.js';
import type { RoutableRequest } from '../../../engine/routing/index.js';

/** what a manifest may say (schema input: defaults not yet applied) */
export type RuleInput = z.input<typeof httpRouteRule>;
export type MatchInput = z.input<typeof httpRouteMatch>;
export type BackendRefInput = z.input<typeof httpBackendRef>;

/** A ClusterIP Service with the given ports (first port named `http`). */
export function service(name: string, ports: number[] = [80], namespace = 'default'): Service {
  return serviceSchema.parse({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      selector: { app: name },
      ports: ports.map((port, i) => ({ name: i === 0 ? 'http' : `p${port}`, port })),
    },
  });
}

export interface RouteOptions {
  namespace?: string;
  parent?: string;
  parentNamespace?: string;
  port?: number;
  sectionName?: string;
  created?: string;
  kind?: string;
  group?: string;
}

/** A GAMMA HTTPRoute attached to Service `parent` (default `echo`). */
export function route(name: string, rules: RuleInput[], o: RouteOptions = {}): HTTPRoute {
  return httpRouteSchema.parse({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name,
      namespace: o.namespace ?? 'default',
      ...(o.created !== undefined ? { creationTimestamp: o.created } : {}),
    },
    spec: {
      parentRefs: [
        {
          group: o.group ?? '',
          kind: o.kind ?? 'Service',
          name: o.parent ?? 'echo',
          ...(o.parentNamespace !== undefined ? { namespace: o.parentNamespace } : {}),
          ...(o.port !== undefined ? { port: o.port } : {}),
          ...(o.sectionName !== undefined ? { sectionName: o.sectionName } : {}),
        },
      ],
      rules,
    },
  });
}

/** backendRef to Service `name` port 80 */
export function to(name: string, weight?: number, port = 80): BackendRefInput {
  return { group: '', kind: 'Service', name, port, ...(weight !== undefined ? { weight } : {}) };
}

export interface Req {
  method?: string;
  url: string;
  headers?: Record<string, string>;
}

export function request(r: Req): RoutableRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers ?? {})) headers[k.toLowerCase()] = v;
  return { method: r.method ?? 'GET', url: r.url, headers };
}
