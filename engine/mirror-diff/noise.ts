import type { Difference } from './compare.js';

/**
 * Diffy's noise filter. For a sample of mirrored idempotent requests the proxy asks the primary a second
 * time; whatever differs between the two primary answers (a timestamp, a request id, a `Date` header) is
 * noise: the field is remembered for the route and no longer counted as a difference between primary and
 * canary, on any request of that route. At most `maxFields` noisy fields are kept per route (the first ones).
 */
export class NoiseModel {
  private readonly noisy = new Map<string, Set<string>>();

  constructor(private readonly maxFields = 256) {}

  /** learn from one primary/primary comparison of `route` */
  learn(route: string, primaryVsPrimary: readonly Difference[]): void {
    if (primaryVsPrimary.length === 0) return;
    let set = this.noisy.get(route);
    if (set === undefined) this.noisy.set(route, (set = new Set()));
    for (const d of primaryVsPrimary) {
      if (set.size >= this.maxFields) break;
      set.add(noiseKey(d.field));
    }
  }

  isNoise(route: string, d: Difference): boolean {
    return this.noisy.get(route)?.has(noiseKey(d.field)) ?? false;
  }

  /** the differences that are not noise, and how many were */
  filter(route: string, ds: readonly Difference[]): { differences: Difference[]; noise: number } {
    const differences = ds.filter((d) => !this.isNoise(route, d));
    return { differences, noise: ds.length - differences.length };
  }

  /** the noisy fields of a route, for display */
  fields(route: string): string[] {
    return [...(this.noisy.get(route) ?? [])];
  }
}

/** array indices are one field for noise: `$.items[3].ts` and `$.items[0].ts` are both `$.items[*].ts` */
export function noiseKey(field: string): string {
  return field.replace(/\[\d+\]/g, '[*]');
}
