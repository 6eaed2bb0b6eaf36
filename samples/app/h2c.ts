// One port for HTTP/1.1 and h2c (HTTP/2 with prior knowledge): a connection that opens with the HTTP/2
// preface goes to an HTTP/2 server whose requests the app's `http.Server` answers (node's compatibility
// API), any other to the app's `http.Server` itself. A meshed client that speaks h2 reaches the app in h2
// (the inbound proxy keeps the client's protocol), so the sample answers both.
import { Duplex } from 'node:stream';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createH2Server, type Http2Session } from 'node:http2';
import type { Server } from 'node:http';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

export interface DualListener {
  net: NetServer;
  /**
   * stop accepting, let in-flight requests finish (HTTP/2 sessions get a GOAWAY, kept-alive HTTP/1.1
   * connections close after their current response), resolve once every connection is closed
   */
  close(): Promise<void>;
}

export function listenHttp1AndH2c(app: Server, port: number, host: string): Promise<DualListener> {
  const h2 = createH2Server();
  h2.on('request', (req, res) => app.emit('request', req, res));
  const sessions = new Set<Http2Session>();
  h2.on('session', (s: Http2Session) => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  });
  const open = new Set<Socket>();
  const route = (socket: Socket, head: Buffer): void => {
    const isH2 = head.length >= PREFACE.length && head.subarray(0, PREFACE.length).equals(PREFACE);
    if (!isH2) {
      socket.pause();
      socket.unshift(head);
      app.emit('connection', socket);
      socket.resume();
      return;
    }
    // node's HTTP/2 reads a net.Socket's handle directly (bytes already read would be lost): it gets a stream
    // that starts with them
    const stream = new Duplex({
      read: () => void socket.resume(),
      write: (chunk: Buffer, _enc, cb) => void socket.write(chunk, cb),
      final: (cb) => void socket.end(cb),
      destroy: (err, cb) => {
        socket.destroy(err ?? undefined);
        cb(err);
      },
    });
    stream.push(head);
    socket.on('data', (d: Buffer) => {
      if (!stream.push(d)) socket.pause();
    });
    socket.once('end', () => stream.push(null));
    socket.once('close', () => stream.destroy());
    h2.emit('connection', stream);
  };
  const net = createNetServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      head = Buffer.concat([head, d]);
      // decide as soon as the bytes can only be one or the other
      if (head.length < PREFACE.length && PREFACE.subarray(0, head.length).equals(head)) return;
      socket.off('data', onData);
      route(socket, head);
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    net.once('error', reject);
    net.listen(port, host, () =>
      resolve({
        net,
        async close() {
          net.close();
          app.on('request', (_req, res: { setHeader(n: string, v: string): void }) =>
            res.setHeader('connection', 'close'),
          );
          for (const s of sessions) s.close();
          app.closeIdleConnections();
          await Promise.all([...open].map((s) => new Promise((r) => (s.closed ? r(undefined) : s.once('close', r)))));
        },
      }),
    );
  });
}
