import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A webhook receiver that misbehaves by path, on raw sockets: `/garbage` answers bytes that are no
 * HTTP, `/hang` reads the request and never answers, `/redirect` answers 302 to itself forever,
 * `/endless` answers 200 with a body that never ends (1 MiB chunks as fast as they are read),
 * `/huge-error` answers 400 with a 4 MiB body, `/json-garbage` answers 200 with a body that is no JSON, `/ok` answers 200. Finite answers close the
 * connection (one request per connection).
 */
export interface HostileWebhooks {
  base: string;
  /** requests seen, by path */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export async function startHostileWebhooks(): Promise<HostileWebhooks> {
  const hits = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let head = '';
    socket.on('data', (c: Buffer) => {
      if (head.includes('\r\n\r\n')) return;
      head += c.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = head.split(' ')[1] ?? '';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      switch (path) {
        case '/garbage':
          socket.end('\x00\x01\x02 this is not HTTP at all \xff\xfe\r\n\r\n');
          break;
        case '/hang':
          break;
        case '/redirect':
          socket.end('HTTP/1.1 302 Found\r\nLocation: /redirect\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
          break;
        case '/endless': {
          socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n');
          const chunk = Buffer.concat([Buffer.from('100000\r\n'), Buffer.alloc(0x100000, 0x61), Buffer.from('\r\n')]);
          const pump = () => {
            while (!socket.destroyed && socket.write(chunk));
          };
          socket.on('drain', pump);
          pump();
          break;
        }
        case '/huge-error': {
          const body = 'e'.repeat(4 * 1024 * 1024);
          socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
          break;
        }
        case '/json-garbage':
          socket.end(
            'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\nConnection: close\r\n\r\n{"a":[1,}',
          );
          break;
        default:
          socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
