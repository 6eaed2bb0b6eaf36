import type { MeshEndpoint, MeshSnapshot, ServicePortEndpoints } from '../../engine/mesh/snapshot.js';
import type { GRPCRoute, HTTPRoute, Service } from '../../engine/resources/index.js';
import { formatAuthority, type ServiceAuthority } from '../../proto/authority.js';
import type { Update__Output } from '../../proto/generated/weir/destination/v1/Update.js';
import { addressKeyOf, decodeEndpoint, decodeGrpcRoutes, decodeHttpRoutes } from './decode.js';
import { fromTcpAddress } from '../../proto/address.js';

/** What the proxy knows of one Service port from its Destination stream. */
export class AuthorityState {
  endpoints = new Map<string, MeshEndpoint>();
  httpRoutes: HTTPRoute[] = [];
  grpcRoutes: GRPCRoute[] = [];
  /** the route policy as it came over the wire, to skip decoding the same routes again */
  private policyWire: Uint8Array[] = [];
  /** when its route policy was received (a route attached to two ports: the newest copy wins) */
  policyStamp = 0;
  /** a whole state (route policy and endpoint set) has been received at least once */
  synced = false;
  /** since the stream was last (re)opened */
  private sawPolicy = false;
  private sawEndpoints = false;

  constructor(
    readonly ref: ServiceAuthority,
    readonly portName: string | undefined,
  ) {}

  get authority(): string {
    return formatAuthority(this.ref);
  }

  /** a new stream: the next endpoint set replaces the one held (kept meanwhile, to keep serving) */
  reopened(): void {
    this.sawPolicy = false;
    this.sawEndpoints = false;
  }

  /**
   * Apply one update; throws a WireError (and changes nothing) when it cannot be used. Returns whether
   * anything changed (a resync that sends the same routes again changes nothing).
   */
  apply(u: Update__Output, stamp: number): boolean {
    const wasSynced = this.synced;
    let changed = true;
    if (u.routePolicy) {
      const wire = [...(u.routePolicy.httpRoutes ?? []), ...(u.routePolicy.grpcRoutes ?? [])].map((r) => r.json);
      if (sameBytes(wire, this.policyWire)) changed = false;
      else {
        const http = decodeHttpRoutes(u.routePolicy.httpRoutes ?? []);
        const grpc = decodeGrpcRoutes(u.routePolicy.grpcRoutes ?? []);
        this.httpRoutes = http;
        this.grpcRoutes = grpc;
        this.policyWire = wire;
        this.policyStamp = stamp;
      }
      this.sawPolicy = true;
    } else if (u.add) {
      const added = (u.add.addrs ?? []).map(decodeEndpoint);
      if (!this.sawEndpoints) this.endpoints = new Map();
      for (const e of added) this.endpoints.set(addressKeyOf(e), e);
      this.sawEndpoints = true;
    } else if (u.remove) {
      for (const a of u.remove.addrs ?? []) {
        const addr = fromTcpAddress(a);
        if (addr !== undefined) this.endpoints.delete(`${addr.ip}:${addr.port}`);
      }
    } else if (u.noEndpoints) {
      this.endpoints = new Map();
      this.sawEndpoints = true;
    }
    if (this.sawPolicy && this.sawEndpoints) this.synced = true;
    return changed || this.synced !== wasSynced;
  }

  /** whether this stream has delivered its whole state since it was last opened */
  get resynced(): boolean {
    return this.sawPolicy && this.sawEndpoints;
  }

  portEndpoints(): ServicePortEndpoints {
    const entry: ServicePortEndpoints = {
      namespace: this.ref.namespace,
      service: this.ref.service,
      port: this.ref.port,
      endpoints: [...this.endpoints.values()],
    };
    if (this.portName !== undefined) entry.portName = this.portName;
    return entry;
  }
}

/** Every Service port of a Services list, as authorities. */
export function authoritiesOf(services: readonly Service[]): Array<{ ref: ServiceAuthority; portName?: string }> {
  return services.flatMap((s) =>
    s.spec.ports.map((p) => ({
      ref: { namespace: s.metadata.namespace ?? 'default', service: s.metadata.name, port: p.port },
      ...(p.name !== undefined ? { portName: p.name } : {}),
    })),
  );
}

/** The snapshot the proxy runs with: the Services list, the routes of every port (newest copy of each), and every port's endpoints. */
export function assemble(version: number, services: Service[], authorities: Iterable<AuthorityState>): MeshSnapshot {
  const states = [...authorities].sort((a, b) => a.policyStamp - b.policyStamp);
  const http = new Map<string, HTTPRoute>();
  const grpc = new Map<string, GRPCRoute>();
  for (const s of states) {
    for (const r of s.httpRoutes) http.set(`${r.metadata.namespace}/${r.metadata.name}`, r);
    for (const r of s.grpcRoutes) grpc.set(`${r.metadata.namespace}/${r.metadata.name}`, r);
  }
  const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    version,
    services,
    httpRoutes: [...http.entries()].sort(([a], [b]) => order(a, b)).map(([, r]) => r),
    grpcRoutes: [...grpc.entries()].sort(([a], [b]) => order(a, b)).map(([, r]) => r),
    endpoints: [...authorities].map((s) => s.portEndpoints()),
  };
}

function sameBytes(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => Buffer.compare(x, b[i]!) === 0);
}
