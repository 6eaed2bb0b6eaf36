import { ANNOTATION_MANAGED_BY, type Service } from '../../engine/resources/index.js';

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function key(svc: Service): string {
  return `${svc.metadata.namespace}/${svc.metadata.name}`;
}

/**
 * Loopback stand-ins for cluster IPs. On a cluster every Service has its own IP, so Flagger's
 * `podinfo`, `podinfo-primary` and `podinfo-canary` can all use port 9898. Locally a Service port is
 * a listening port, so Services whose ports collide get their own loopback address (127.0.1.N) in
 * `spec.clusterIP` of the snapshot copy; the first to claim a port keeps the shared address
 * (`--service-host`, 127.0.0.1). Users' Services are served before generated ones, then older first.
 * A claim is sticky while its Service exists, so a listener never moves under a client's feet.
 */
export class ClusterIPAllocator {
  /** port -> the Service holding it on the shared address */
  private readonly holders = new Map<number, string>();
  /** Service -> its own loopback address */
  private readonly assigned = new Map<string, string>();
  private next = 1;

  assign(services: readonly Service[]): Service[] {
    const present = new Set(services.map(key));
    for (const [port, holder] of this.holders) if (!present.has(holder)) this.holders.delete(port);
    for (const k of this.assigned.keys()) if (!present.has(k)) this.assigned.delete(k);

    const ordered = [...services].sort((a, b) => {
      const ma = a.metadata.annotations?.[ANNOTATION_MANAGED_BY] !== undefined ? 1 : 0;
      const mb = b.metadata.annotations?.[ANNOTATION_MANAGED_BY] !== undefined ? 1 : 0;
      if (ma !== mb) return ma - mb;
      const ta = a.metadata.creationTimestamp ?? '';
      const tb = b.metadata.creationTimestamp ?? '';
      return ta < tb ? -1 : ta > tb ? 1 : key(a).localeCompare(key(b));
    });
    const out = new Map<string, Service>();
    // sticky holders first, then everyone else in priority order
    const holding = new Set(this.holders.values());
    for (const svc of [...ordered.filter((s) => holding.has(key(s))), ...ordered.filter((s) => !holding.has(key(s)))]) {
      out.set(key(svc), this.place(svc));
    }
    return services.map((s) => out.get(key(s))!);
  }

  private place(svc: Service): Service {
    const k = key(svc);
    if (svc.spec.clusterIP !== undefined && LOOPBACK.test(svc.spec.clusterIP)) return svc;
    const ports = svc.spec.ports.map((p) => p.port);
    const free = ports.every((p) => this.holders.get(p) === undefined || this.holders.get(p) === k);
    if (free && !this.assigned.has(k)) {
      for (const p of ports) this.holders.set(p, k);
      return svc;
    }
    let ip = this.assigned.get(k);
    if (ip === undefined) {
      ip = this.allocate();
      this.assigned.set(k, ip);
    }
    return { ...svc, spec: { ...svc.spec, clusterIP: ip } };
  }

  private allocate(): string {
    const used = new Set(this.assigned.values());
    for (;;) {
      const n = this.next++;
      if (this.next > 254 * 255) this.next = 1;
      const ip = `127.0.${1 + Math.floor((n - 1) / 254)}.${1 + ((n - 1) % 254)}`;
      if (!used.has(ip)) return ip;
    }
  }
}
