import { parseDurationMs } from '../engine/resources/meta.js';
import type { Canary } from '../engine/resources/index.js';
import type { ApiClient } from './api-client.js';
import type { GoldenSample } from './output/columns/index.js';

/**
 * The golden metrics of a Canary's primary and canary Deployments over its analysis interval (at least
 * 10 s), from `GET /weir/v1/namespaces/NS/deployments/NAME/golden`; a Deployment without traffic, or an
 * instance without the controller, gives an empty sample.
 */
export async function canaryGolden(
  client: ApiClient,
  canary: Canary,
): Promise<{ primary: GoldenSample; canary: GoldenSample }> {
  const ns = canary.metadata.namespace;
  const target = canary.spec.targetRef.name;
  const windowMs = Math.max(parseDurationMs(canary.spec.analysis?.interval ?? '') ?? 0, 10_000);
  const one = (deployment: string): Promise<GoldenSample> =>
    client
      .request<GoldenSample>(
        'GET',
        `/weir/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(deployment)}/golden?windowMs=${windowMs}`,
      )
      .catch(() => ({}));
  const [primary, canarySample] = await Promise.all([one(`${target}-primary`), one(target)]);
  return { primary, canary: canarySample };
}

/** a lookup for the table's wide columns, filled for the given canaries */
export class GoldenCache {
  private readonly samples = new Map<string, GoldenSample>();

  constructor(private readonly client: ApiClient) {}

  async load(canaries: Canary[]): Promise<void> {
    await Promise.all(
      canaries.map(async (c) => {
        const g = await canaryGolden(this.client, c);
        const target = c.spec.targetRef.name;
        this.samples.set(`${c.metadata.namespace}/${target}-primary`, g.primary);
        this.samples.set(`${c.metadata.namespace}/${target}`, g.canary);
      }),
    );
  }

  readonly lookup = (namespace: string, deployment: string): GoldenSample | undefined =>
    this.samples.get(`${namespace}/${deployment}`);
}
