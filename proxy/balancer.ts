/**
 * Choosing one endpoint of a backend. The proxy builds a balancer per backend from the *ready*
 * endpoints of each snapshot. Round robin for now; p2c over peak-EWMA (linkerd.md 1.4) will implement
 * the same interface and use `release` for its RTT and pending-request estimates.
 */
export interface Balancer<T> {
  readonly size: number;
  /** an endpoint, or undefined when none is ready (the proxy answers 503) */
  pick(): T | undefined;
  /** called once per forwarded request when its response ends (unused by round robin) */
  release?(endpoint: T, latencyMs: number, failed: boolean): void;
}

export type BalancerFactory = <T>(endpoints: readonly T[]) => Balancer<T>;

export class RoundRobin<T> implements Balancer<T> {
  private next = 0;
  constructor(private readonly endpoints: readonly T[]) {}

  get size(): number {
    return this.endpoints.length;
  }

  pick(): T | undefined {
    const n = this.endpoints.length;
    if (n <= 1) return this.endpoints[0];
    const i = this.next;
    this.next = i + 1 === n ? 0 : i + 1;
    return this.endpoints[i];
  }
}

export const roundRobin: BalancerFactory = (endpoints) => new RoundRobin(endpoints);
