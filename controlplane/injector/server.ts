import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { admit, AdmissionError, type AdmitOptions } from './admission.js';

/** The injector's HTTPS endpoint: `POST /inject` (AdmissionReview v1), `GET /ready`. */
export interface InjectorServer {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

export async function startInjectorServer(
  options: AdmitOptions & { cert: string; key: string; port: number; host?: string; log?: (line: string) => void },
): Promise<InjectorServer> {
  const server: Server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/ready') return send(200, { ready: true });
    if (req.url?.split('?')[0] !== '/inject') return send(404, { error: `no such path ${req.url}` });
    if (req.method !== 'POST') return send(405, { error: 'POST an AdmissionReview to /inject' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, { error: 'the body is not JSON' });
      }
      admit(body, options).then(
        (review) => {
          options.log?.(
            `${review.response?.patch ? 'injected' : 'admitted'} pod in ${(body as { request?: { namespace?: string } }).request?.namespace ?? '?'}`,
          );
          send(200, review);
        },
        (err: unknown) => send(err instanceof AdmissionError ? 400 : 500, { error: (err as Error).message }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
