import { noInboundRoute, rateLimited, unauthorized, type Failure } from '../errors.js';
import type { RoutableRequest } from '../../engine/routing/request.js';
import { authorizeConnection, authorizeRequest, type Client, type Decision } from './authorize.js';
import { compilePolicy, type CompiledPolicy } from './compiled.js';
import type { AuthzMetrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import type { PolicySource } from './source.js';

/**
 * The inbound side's authorization layer: asked once per HTTP request and once per opaque connection,
 * with the client's address and the identity its TLS proved. It reads the source's current policy each
 * time (compiled once per policy value), so a change applies to the next request of a connection that
 * is already open. Answers the failure to send (undefined: go on), counts the decision, and logs
 * `audit` decisions as would-be denials.
 */
export class InboundAuthz {
  private compiled: CompiledPolicy;
  private limiter: RateLimiter | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly source: PolicySource,
    private readonly metrics: AuthzMetrics,
    private readonly log: (line: string) => void = (line) => console.error(line),
  ) {
    this.compiled = this.compile();
    this.unsubscribe = source.subscribe(() => void this.refresh());
  }

  private compile(): CompiledPolicy {
    const policy = this.source.current();
    this.limiter = policy.rateLimit !== undefined ? new RateLimiter(policy.rateLimit) : undefined;
    return compilePolicy(policy);
  }

  private refresh(): CompiledPolicy {
    if (this.compiled.source !== this.source.current()) this.compiled = this.compile();
    return this.compiled;
  }

  /** the policy in force (for /config) */
  get policy(): CompiledPolicy {
    return this.refresh();
  }

  private name(d: Decision): string {
    return `${d.server.kind}:${d.server.name}`;
  }

  /** an HTTP request (HTTP/1.1, HTTP/2, gRPC): the failure to answer, or undefined to forward it */
  request(client: Client, req: RoutableRequest): Failure | undefined {
    const policy = this.refresh();
    const d = authorizeRequest(policy, client, req);
    if (d.verdict === 'no-route') {
      this.metrics.http(d, client.identity);
      return noInboundRoute(this.name(d));
    }
    this.metrics.http(d, client.identity);
    if (d.verdict === 'deny') return unauthorized(this.name(d));
    if (d.verdict === 'audit') this.audit(d, client, `${req.method ?? ''} ${req.url ?? ''}`);
    const limit = policy.source.rateLimit;
    if (limit !== undefined && this.limiter?.admit(client.identity) === false) {
      this.metrics.rateLimited(d, limit.labels, client.identity);
      return rateLimited(this.name(d));
    }
    return undefined;
  }

  /** an opaque TCP connection: whether to forward it (else it is closed) */
  connection(client: Client): boolean {
    const d = authorizeConnection(this.refresh(), client);
    this.metrics.tcp(d, client.identity);
    if (d.verdict === 'audit') this.audit(d, client, 'connection');
    return d.verdict !== 'deny';
  }

  private audit(d: Decision, client: Client, what: string): void {
    this.log(
      `weir inbound proxy: audit: would deny ${what} from ${client.address ?? '?'} (${client.identity ?? 'no identity'}) on server ${this.name(d)}`,
    );
  }

  close(): void {
    this.unsubscribe();
  }
}
