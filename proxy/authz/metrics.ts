import type { PolicyRefLabels } from '../../engine/policy/types.js';
import { renderLabels } from '../metrics.js';
import type { Decision } from './authorize.js';

type Pairs = ReadonlyArray<readonly [string, string | undefined]>;

const refPairs = (prefix: string, r: PolicyRefLabels | undefined): Array<[string, string]> =>
  r === undefined
    ? []
    : [
        [`${prefix}_group`, r.group],
        [`${prefix}_kind`, r.kind],
        [`${prefix}_name`, r.name],
      ];

/**
 * Linkerd's authorization counters: `inbound_http_authz_allow_total` (srv_, route_, authz_ labels),
 * `inbound_http_authz_deny_total` (srv_, route_), `inbound_tcp_authz_allow_total` (srv_, authz_),
 * `inbound_tcp_authz_deny_total` (srv_), each with `tls` and `client_id`; `audit` decisions count as
 * allowed (their authz is `default:audit`). `inbound_http_local_ratelimit_rejected_total` counts 429s.
 */
export class AuthzMetrics {
  private readonly counters = new Map<string, number>();
  constructor(private readonly base: Pairs) {}

  private bump(name: string, pairs: Pairs): void {
    const key = `${name}{${renderLabels([...this.base, ...pairs])}}`;
    this.counters.set(key, (this.counters.get(key) ?? 0) + 1);
  }

  private tls(identity: string | undefined): Array<[string, string | undefined]> {
    return identity !== undefined
      ? [
          ['tls', 'true'],
          ['client_id', identity],
        ]
      : [['tls', 'no_identity']];
  }

  http(d: Decision, identity: string | undefined): void {
    const allowed = d.verdict === 'allow' || d.verdict === 'audit';
    this.bump(allowed ? 'inbound_http_authz_allow_total' : 'inbound_http_authz_deny_total', [
      ...refPairs('srv', d.server),
      ...refPairs('route', d.route),
      ...(allowed ? refPairs('authz', d.authz) : []),
      ...this.tls(identity),
    ]);
  }

  tcp(d: Decision, identity: string | undefined): void {
    const allowed = d.verdict === 'allow' || d.verdict === 'audit';
    this.bump(allowed ? 'inbound_tcp_authz_allow_total' : 'inbound_tcp_authz_deny_total', [
      ...refPairs('srv', d.server),
      ...(allowed ? refPairs('authz', d.authz) : []),
      ...this.tls(identity),
    ]);
  }

  rateLimited(d: Decision, limit: PolicyRefLabels, identity: string | undefined): void {
    this.bump('inbound_http_local_ratelimit_rejected_total', [
      ...refPairs('srv', d.server),
      ...refPairs('ratelimit', limit),
      ...this.tls(identity),
    ]);
  }

  render(): string {
    const byName = new Map<string, string[]>();
    for (const [key, value] of this.counters) {
      const name = key.slice(0, key.indexOf('{'));
      const lines = byName.get(name) ?? [];
      lines.push(`${key} ${value}`);
      byName.set(name, lines);
    }
    let out = '';
    for (const [name, lines] of byName) out += `# TYPE ${name} counter\n${lines.join('\n')}\n`;
    return out;
  }
}
