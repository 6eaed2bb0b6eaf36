import { isBuiltinMetric, isComparativeMetric } from '../../engine/analysis/index.js';
import { MIRROR_DIFF_RATE } from '../../engine/mirror-diff/index.js';
import { metricTemplateModel, renderMetricTemplate } from '../../engine/analysis/template.js';
import { metricWindowMs } from '../../engine/canary/index.js';
import type { Canary, CanaryMetric, MetricTemplate, Secret } from '../../engine/resources/index.js';
import type { ResourceStore } from '../../controlplane/store/resource-store.js';
import { createProvider, type ProviderConfig } from './providers/index.js';
import { LINKERD_BUILTIN_QUERIES } from './providers/prometheus.js';
import type { MetricQuery, MetricsProvider } from './provider.js';

export interface MetricTemplateProviderOptions {
  /** where MetricTemplates and their Secrets are read */
  store: ResourceStore;
  /**
   * Flagger's `-metrics-server`: the Prometheus used for inline queries and builtin metrics of a Canary that
   * sets no `spec.metricsServer`, and for prometheus templates without `address`. Default: none (such metrics
   * fail with a message saying so; builtin metrics then stay with the mesh provider).
   */
  metricsServer?: string;
  /** per request, overriding each provider's own timeout (Flagger: 5 s for most, 15 s for influxdb) */
  timeoutMs?: number;
  /** environment for ambient credentials (AWS keys, in-cluster config); default `process.env` */
  env?: NodeJS.ProcessEnv;
}

/** A Secret's data as text: `stringData` over base64 `data`, as the API server merges them. */
export function secretCredentials(secret: Secret): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of Object.entries(secret.stringData ?? {})) out[k] = v;
  return out;
}

/**
 * Metrics with a `templateRef`, inline `query`, or builtin names read from a Prometheus (Flagger's
 * `MetricTemplate` observer and providers, reference flagger.md 1.5):
 *
 * - `templateRef`: the MetricTemplate (namespace defaulting to the Canary's) is read from the store, its
 *   query rendered with Flagger's template variables (`engine/analysis/template.ts`), and run by the
 *   provider of its `spec.provider.type` (`providers/index.ts`, one file per type) with the decoded data of
 *   `spec.provider.secretRef` (a Secret in the template's namespace) as credentials;
 * - the deprecated inline `metric.query`, sent as is to the Canary's `spec.metricsServer` (Prometheus);
 * - builtin metrics of a Canary that sets `spec.metricsServer`, with Flagger's Linkerd queries. Builtin
 *   metrics of other Canaries stay with the mesh provider (see `supports`).
 *
 * No data is `undefined` (the check fails with Flagger's "no values found" message); a missing template,
 * Secret, credential or address, a template error, an HTTP error or a timeout is a query error.
 */
export class MetricTemplateProvider implements MetricsProvider {
  readonly name = 'prometheus';

  constructor(private readonly options: MetricTemplateProviderOptions) {}

  /**
   * Template and inline-query metrics always. Builtin names only when the canary has a metrics server (or
   * a default one is configured); otherwise the mesh provider answers them from the sidecars directly.
   */
  supports(metric: CanaryMetric, canary?: Canary): boolean {
    // Weir's canary-vs-primary metrics carry their settings in `query`; the mesh answers them
    if (isComparativeMetric(metric.name)) return false;
    if (metric.templateRef !== undefined || metric.query !== undefined) return true;
    // Weir's mirror-diff-rate is always read from the mirroring proxies (mesh provider)
    if (!isBuiltinMetric(metric.name) || metric.name === MIRROR_DIFF_RATE || canary === undefined) return false;
    return (canary.spec.metricsServer ?? this.options.metricsServer) !== undefined;
  }

  /** the template's provider type, for messages ("no values found for datadog metric ...") */
  providerName(metric: CanaryMetric, canary: Canary): string {
    if (metric.templateRef === undefined) return 'prometheus';
    const ns = metric.templateRef.namespace ?? canary.metadata.namespace;
    return (
      this.options.store.get<MetricTemplate>('MetricTemplate', ns, metric.templateRef.name)?.spec.provider.type ??
      'prometheus'
    );
  }

  private config(canary: Canary, metric: CanaryMetric, now: Date | undefined): Omit<ProviderConfig, 'type'> {
    return {
      headers: {},
      insecureSkipVerify: false,
      intervalMs: metricWindowMs(metric),
      now: now ?? new Date(),
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
      ...(this.options.env !== undefined ? { env: this.options.env } : {}),
    };
  }

  async query(q: MetricQuery): Promise<number | undefined> {
    const { canary, metric } = q;
    const base = this.config(canary, metric, q.now);
    if (metric.templateRef !== undefined) {
      const ns = metric.templateRef.namespace ?? canary.metadata.namespace;
      const where = `MetricTemplate ${ns}/${metric.templateRef.name}`;
      const template = this.options.store.get<MetricTemplate>('MetricTemplate', ns, metric.templateRef.name);
      if (!template) throw new Error(`${where} not found`);
      const provider = template.spec.provider;
      let address = provider.address || undefined;
      if (provider.type === 'prometheus') {
        address ||= this.metricsServer(canary);
        if (!address) {
          throw new Error(
            `${where} has no provider.address and canary ${canary.metadata.namespace}/${canary.metadata.name} sets no spec.metricsServer`,
          );
        }
      }
      let credentials: Record<string, string> | undefined;
      if (provider.secretRef) {
        const secret = this.options.store.get<Secret>('Secret', ns, provider.secretRef.name);
        if (!secret) throw new Error(`Secret ${ns}/${provider.secretRef.name} (${where} provider.secretRef) not found`);
        credentials = secretCredentials(secret);
      }
      const query = renderMetricTemplate(template.spec.query, metricTemplateModel(canary, metric));
      try {
        const runner = createProvider({
          ...base,
          type: provider.type,
          address,
          headers: provider.headers ?? {},
          region: provider.region,
          insecureSkipVerify: provider.insecureSkipVerify === true,
          credentials,
        });
        return await runner.run(query);
      } catch (err) {
        throw new Error(`${where}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const address = this.metricsServer(canary);
    if (metric.query !== undefined) {
      if (!address) throw new Error(this.noServer(canary, `metric ${metric.name} has an inline query`));
      return createProvider({ ...base, type: 'prometheus', address }).run(metric.query);
    }
    const builtin = LINKERD_BUILTIN_QUERIES[metric.name];
    if (builtin === undefined) {
      throw new Error(`metric ${metric.name} has neither templateRef nor query and is not a builtin metric`);
    }
    if (!address) throw new Error(this.noServer(canary, `builtin metric ${metric.name} is read from Prometheus`));
    return createProvider({ ...base, type: 'prometheus', address }).run(
      renderMetricTemplate(builtin, metricTemplateModel(canary, metric)),
    );
  }

  private metricsServer(canary: Canary): string | undefined {
    return canary.spec.metricsServer || this.options.metricsServer;
  }

  /** nothing is held between queries (each request has its own connection settings) */
  async close(): Promise<void> {}

  private noServer(canary: Canary, what: string): string {
    return `${what} but canary ${canary.metadata.namespace}/${canary.metadata.name} sets no spec.metricsServer`;
  }
}
