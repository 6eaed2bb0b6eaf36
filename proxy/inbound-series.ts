import type { GoldenMetrics, Series } from './metrics.js';
import { inboundTlsLabels, NO_LABELS, type LabelPairs } from './tls/labels.js';

/** distinct `authority` label values kept per peer; later ones share one series */
const MAX_AUTHORITIES = 256;

/**
 * The inbound golden-metric series of one kind of peer (plaintext, or one client identity over mTLS),
 * by the request's authority. A connection resolves its `PeerSeries` once (tls/peer.ts), so a request
 * makes one map lookup and builds no strings.
 */
export class PeerSeries {
  private readonly byAuthority = new Map<string, Series>();

  constructor(
    private readonly metrics: GoldenMetrics,
    private readonly base: LabelPairs,
    private readonly tls: LabelPairs,
  ) {}

  get(authority: string | undefined): Series {
    const key = authority ?? '';
    let s = this.byAuthority.get(key);
    if (s === undefined) {
      const full = this.byAuthority.size < MAX_AUTHORITIES;
      s = this.metrics.series([...this.base, ['authority', full ? key : 'other'], ...this.tls]);
      if (full) this.byAuthority.set(key, s);
    }
    return s;
  }
}

/**
 * Every `PeerSeries` of an inbound proxy: `plain` for plaintext connections, `forClient` per client
 * identity over mTLS. Without mTLS (`tls` false) the series carry no TLS labels at all, as before.
 */
export class InboundSeries {
  readonly plain: PeerSeries;
  private readonly clients = new Map<string, PeerSeries>();

  constructor(
    private readonly metrics: GoldenMetrics,
    private readonly base: LabelPairs,
    private readonly tls: boolean,
  ) {
    this.plain = new PeerSeries(metrics, base, tls ? inboundTlsLabels(false, undefined) : NO_LABELS);
  }

  /** the series of mTLS connections from `clientId` (undefined: TLS without a client certificate) */
  forClient(clientId: string | undefined): PeerSeries {
    const key = clientId ?? '';
    let p = this.clients.get(key);
    if (p === undefined) {
      p = new PeerSeries(this.metrics, this.base, inboundTlsLabels(true, clientId));
      this.clients.set(key, p);
    }
    return p;
  }
}
