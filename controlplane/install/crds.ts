import { z } from 'zod';
import { kinds, type KindInfo, type PrinterColumn } from '../../engine/resources/index.js';
import { toStructural, type JsonSchema } from './structural-schema.js';

/**
 * The CustomResourceDefinitions of the kinds Weir serves: Flagger's `flagger.app` kinds (with Flagger's
 * printer columns and `all` category, artifacts/flagger/crd.yaml) and the `policy.linkerd.io` kinds of
 * Linkerd's inbound and egress policy (with Linkerd's printer columns). The schemas are generated from
 * the zod schemas in engine/resources/ (structural-schema.ts says how they are adapted). Gateway API's
 * CRDs belong to the user (or the cluster's gateway) and are not printed.
 */

export const CRD_GROUPS = ['flagger.app', 'policy.linkerd.io'] as const;

/** Printer columns of the kinds the registry has none for (Flagger's and Linkerd's CRDs). */
const extraColumns: Record<string, PrinterColumn[]> = {
  MetricTemplate: [{ name: 'Provider', type: 'string', jsonPath: '.spec.provider.type' }],
  AlertProvider: [{ name: 'Type', type: 'string', jsonPath: '.spec.type' }],
  Server: [
    { name: 'Port', type: 'string', jsonPath: '.spec.port' },
    { name: 'Protocol', type: 'string', jsonPath: '.spec.proxyProtocol' },
  ],
  HTTPLocalRateLimitPolicy: [
    { name: 'Target_kind', type: 'string', jsonPath: '.spec.targetRef.kind' },
    { name: 'Target_name', type: 'string', jsonPath: '.spec.targetRef.name' },
    { name: 'Total_RPS', type: 'integer', jsonPath: '.spec.total.requestsPerSecond' },
  ],
};

/** The kinds Weir defines CRDs for, in a stable order. */
export function crdKinds(): KindInfo[] {
  return Object.values(kinds)
    .filter((k) => (CRD_GROUPS as readonly string[]).includes(k.group))
    .sort((a, b) => a.group.localeCompare(b.group) || a.kind.localeCompare(b.kind));
}

/** The versions a kind's zod schema accepts (`apiVersion` enum), the registry's version first. */
function versionsOf(info: KindInfo, json: JsonSchema): string[] {
  const apiVersion = (json.properties as Record<string, JsonSchema> | undefined)?.apiVersion;
  const listed = [
    ...((apiVersion?.enum as string[] | undefined) ?? []),
    ...(typeof apiVersion?.const === 'string' ? [apiVersion.const] : []),
  ]
    .filter((v) => v.startsWith(`${info.group}/`))
    .map((v) => v.slice(info.group.length + 1));
  return [info.version, ...new Set(listed.filter((v) => v !== info.version))];
}

/** The `openAPIV3Schema` of a kind: apiVersion, kind, metadata as Kubernetes has them; spec and status from zod. */
export function openAPIV3Schema(info: KindInfo): { schema: JsonSchema; versions: string[] } {
  const json = z.toJSONSchema(info.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const properties: Record<string, JsonSchema> = {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
  };
  for (const field of ['spec', 'status']) {
    properties[field] = props[field]
      ? toStructural(props[field], json)
      : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  }
  const required = ((json.required as string[] | undefined) ?? []).filter((r) => r === 'spec');
  return {
    schema: { type: 'object', properties, ...(required.length ? { required } : {}) },
    versions: versionsOf(info, json),
  };
}

/** One CustomResourceDefinition (apiextensions.k8s.io/v1) for a kind. */
export function customResourceDefinition(info: KindInfo): Record<string, unknown> {
  const { schema, versions } = openAPIV3Schema(info);
  const columns = (info.printerColumns ?? extraColumns[info.kind] ?? []).map((c) => ({
    name: c.name,
    type: c.type,
    jsonPath: c.jsonPath,
    ...(c.priority !== undefined ? { priority: c.priority } : {}),
    ...(c.description ? { description: c.description } : {}),
  }));
  const singular = info.kind.toLowerCase();
  const shortNames = (info.shortNames ?? []).filter((s) => s !== singular && s !== info.plural);
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${info.plural}.${info.group}`, labels: { 'app.kubernetes.io/part-of': 'weir' } },
    spec: {
      group: info.group,
      names: {
        kind: info.kind,
        listKind: `${info.kind}List`,
        plural: info.plural,
        singular,
        ...(shortNames.length ? { shortNames } : {}),
        ...(info.group === 'flagger.app' ? { categories: ['all'] } : {}),
      },
      scope: info.namespaced ? 'Namespaced' : 'Cluster',
      versions: versions.map((name) => ({
        name,
        served: true,
        storage: name === info.version,
        subresources: { status: {} },
        ...(columns.length ? { additionalPrinterColumns: columns } : {}),
        schema: { openAPIV3Schema: schema },
      })),
    },
  };
}

export function customResourceDefinitions(): Record<string, unknown>[] {
  return crdKinds().map(customResourceDefinition);
}
