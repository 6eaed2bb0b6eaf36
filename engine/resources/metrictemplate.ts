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

export function metricTemplateWarnings(t: MetricTemplate): FieldWarning[] {
  const type = t.spec.provider.type;
  if (type === 'prometheus') return [];
  return [
    {
      path: 'spec.provider.type',
      message: `"${type}" is accepted for Flagger compatibility but Weir queries only Prometheus`,
    },
  ];
}
