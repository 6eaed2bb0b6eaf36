import { z } from 'zod';
import { objectMeta, type FieldWarning } from './meta.js';

/** Flagger's `flagger.app/v1beta1` MetricTemplate (flagger.md 1.5). */

export const metricProviderTypes = [
  'prometheus',
  'influxdb',
  'datadog',
  'externalmetrics',
  'stackdriver',
  'cloudwatch',
  'newrelic',
  'graphite',
  'dynatrace',
  'keptn',
  'splunk',
] as const;
export type MetricProviderType = (typeof metricProviderTypes)[number];

export const metricTemplateProvider = z.looseObject({
  type: z.enum(metricProviderTypes),
  address: z.string().optional(),
  headers: z.record(z.string(), z.array(z.string())).optional(),
  secretRef: z.looseObject({ name: z.string().min(1) }).optional(),
  region: z.string().optional(),
  insecureSkipVerify: z.boolean().optional(),
});
export type MetricTemplateProvider = z.infer<typeof metricTemplateProvider>;

export const metricTemplateSchema = z.looseObject({
  apiVersion: z.literal('flagger.app/v1beta1'),
  kind: z.literal('MetricTemplate'),
  metadata: objectMeta,
  spec: z.looseObject({
    provider: metricTemplateProvider,
    /** a Go text/template rendered with `{{ name }}`, `{{ namespace }}`, `{{ target }}`, `{{ interval }}`... */
    query: z.string().min(1),
  }),
  status: z.looseObject({}).optional(),
});
export type MetricTemplate = z.infer<typeof metricTemplateSchema>;

/** Provider types that cannot run without `spec.provider.address` (Flagger has no default host for them). */
const needsAddress: ReadonlySet<MetricProviderType> = new Set(['dynatrace', 'graphite', 'influxdb', 'splunk']);
/** Provider types whose credentials come only from `spec.provider.secretRef`. */
const needsSecret: ReadonlySet<MetricProviderType> = new Set(['datadog', 'newrelic', 'dynatrace', 'splunk']);

/**
 * What Flagger's providers would refuse at query time, said when the template is applied (the template
 * stays valid: Flagger's CRD accepts it, and its provider fails on every check).
 */
export function metricTemplateWarnings(t: MetricTemplate): FieldWarning[] {
  const p = t.spec.provider;
  const out: FieldWarning[] = [];
  if (needsAddress.has(p.type) && !p.address) {
    out.push({ path: 'spec.provider.address', message: `the ${p.type} provider needs the API address` });
  }
  if (needsSecret.has(p.type) && !p.secretRef) {
    out.push({
      path: 'spec.provider.secretRef',
      message: `the ${p.type} provider needs a Secret with its credentials`,
    });
  }
  if (p.type === 'cloudwatch' && !p.region) {
    out.push({ path: 'spec.provider.region', message: 'the cloudwatch provider needs the AWS region' });
  }
  return out;
}
