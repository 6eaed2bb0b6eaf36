import type { Server } from 'node:net';
import { renderLabels } from './metrics.js';
import type { LabelPairs } from './tls/labels.js';

/**
 * Linkerd's `tcp_open_connections` gauge for a listener (inbound: `peer="src"`): the connections it
 * has accepted and not yet closed, counted per connection (never per request), read on scrape.
 */
export class OpenConnections {
  private open = 0;
  private readonly labels: string;

  constructor(pairs: LabelPairs) {
    this.labels = renderLabels(pairs);
  }

  watch(server: Server): void {
    server.on('connection', (socket) => {
      this.open++;
      socket.once('close', () => this.open--);
    });
  }

  /** Prometheus text exposition format 0.0.4 */
  render(): string {
    return (
      '# HELP tcp_open_connections Number of currently-open connections.\n' +
      '# TYPE tcp_open_connections gauge\n' +
      `tcp_open_connections{${this.labels}} ${this.open}\n`
    );
  }
}
