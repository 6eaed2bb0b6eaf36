import type { MetricProviderType } from '../../../engine/resources/index.js';
import { cloudwatch } from './cloudwatch.js';
import { datadog } from './datadog.js';
import { dynatrace } from './dynatrace.js';
import { externalmetrics } from './externalmetrics.js';
import { graphite } from './graphite.js';
import { influxdb } from './influxdb.js';
import { keptn } from './keptn.js';
import { newrelic } from './newrelic.js';
import { prometheus } from './prometheus.js';
import { splunk } from './splunk.js';
import { stackdriver } from './stackdriver.js';
import type { MetricQueryRunner, ProviderConfig, ProviderFactory } from './types.js';

export type { MetricQueryRunner, ProviderConfig, ProviderFactory } from './types.js';

/**
 * Flagger's `providers.Factory`: one provider per `spec.provider.type` of a MetricTemplate. The record is
 * total over the schema's enum, so a type the schema accepts has a provider (an unknown type never gets
 * here: it is a validation error of `spec.provider.type`).
 */
export const providerFactories: Readonly<Record<MetricProviderType, ProviderFactory>> = {
  prometheus,
  datadog,
  newrelic,
  cloudwatch,
  stackdriver,
  dynatrace,
  graphite,
  influxdb,
  splunk,
  keptn: (config) => keptn(config),
  externalmetrics,
};

export function createProvider(config: ProviderConfig): MetricQueryRunner {
  return providerFactories[config.type](config);
}
