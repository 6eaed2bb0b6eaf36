// One port for HTTP/1.1 and h2c (HTTP/2 with prior knowledge): a connection that opens with the HTTP/2
// preface goes to an HTTP/2 server whose requests the app's `http.Server` answers (node's compatibility
// API), any other to the app's `http.Server` itself. A meshed client that speaks h2 reaches the app in h2
// (the inbound proxy keeps the client's protocol), so the sample answers both.
import { Duplex } from 'node:stream';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createH2Server, type Http2Session } from 'node:http2';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n');

export interface DualListener {
  net: NetServer;
  /**
   * stop accepting, let in-flight requests finish (HTTP/2 sessions get a GOAWAY, kept-alive HTTP/1.1
   * connections close after their current response, idle and unused ones at once), resolve once every
   * connection is closed
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
  // connections that have not sent a byte yet: nothing in flight, closed at once on close()
  const silent = new Set<Socket>();
  // HTTP/1.1 connections and their responses in flight. The app's http.Server never listens itself, so its
  // own connection tracking (closeIdleConnections) is off: idle ones are found here.
  const h1 = new Set<Socket>();
  const inFlight = new Set<ServerResponse>();
  const busy = (socket: Socket): boolean => [...inFlight].some((r) => r.socket === socket);
  let closing = false;
  const lastResponse = (res: ServerResponse): void => {
    if (!res.headersSent) res.setHeader('connection', 'close');
  };
  app.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.httpVersionMajor !== 1) return;
    const socket = req.socket;
    inFlight.add(res);
    if (closing) lastResponse(res);
    res.once('close', () => {
      inFlight.delete(res);
      // a kept-alive connection busy when close began goes once its response is written
      if (closing && !busy(socket)) socket.end();
    });
  });
  const route = (socket: Socket, head: Buffer): void => {
    const isH2 = head.length >= PREFACE.length && head.subarray(0, PREFACE.length).equals(PREFACE);
    if (!isH2) {
      socket.pause();
      socket.unshift(head);
      h1.add(socket);
      socket.once('close', () => h1.delete(socket));
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
  // TCP_NODELAY: an HTTP/2 answer is several writes (HEADERS, DATA); with Nagle the second waits for the ACK of
  // the first, which the client delays by 40 ms
  const net = createNetServer({ noDelay: true }, (socket) => {
    open.add(socket);
    silent.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      silent.delete(socket);
    });
    let head = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      silent.delete(socket);
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
          closing = true;
          for (const s of sessions) s.close();
          // idle kept-alive connections, and ones opened but never used (a TCP probe, a pool's spare), would
          // otherwise hold the exit until the keep-alive timeout or the kubelet's grace period
          for (const res of inFlight) lastResponse(res);
          for (const s of h1) if (!busy(s)) s.end();
          for (const s of silent) s.destroy();
          await Promise.all([...open].map((s) => new Promise((r) => (s.closed ? r(undefined) : s.once('close', r)))));
        },
      }),
    );
  });
}
