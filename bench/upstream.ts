/**
 * The benchmark's upstream: answers `/64` with 64 bytes and `/4k` with 4096 bytes (anything else: 64),
 * with `x-upstream: <name>`, over HTTP/1.1 or h2c (HTTP/2 cleartext, prior knowledge).
 *
 * usage: node upstream.js h1|h2c PORT NAME
 */
import { createServer } from 'node:http';
import { createServer as createH2Server } from 'node:http2';

const [proto = 'h1', portArg = '0', name = 'a'] = process.argv.slice(2);
const port = Number(portArg);

const small = Buffer.alloc(64, 'x');
const large = Buffer.alloc(4096, 'y');
const bodyFor = (path: string | undefined): Buffer => (path === '/4k' ? large : small);

if (proto === 'h1') {
  const server = createServer((req, res) => {
    const body = bodyFor(req.url);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length, 'x-upstream': name });
    res.end(body);
    req.resume();
  });
  // idle connections outlive every proxy's pool timeout, so no request races a close
  server.keepAliveTimeout = 300_000;
  server.headersTimeout = 301_000;
  server.listen(port, '127.0.0.1', () => console.log(`upstream ${name} h1 on 127.0.0.1:${port}`));
} else if (proto === 'h2c') {
  const server = createH2Server({ settings: { maxConcurrentStreams: 1000, initialWindowSize: 1 << 20 } });
  server.on('stream', (stream, headers) => {
    const body = bodyFor(headers[':path'] as string | undefined);
    stream.respond({ ':status': 200, 'content-type': 'text/plain', 'content-length': body.length, 'x-upstream': name });
    stream.end(body);
  });
  server.on('sessionError', () => undefined);
  server.listen(port, '127.0.0.1', () => console.log(`upstream ${name} h2c on 127.0.0.1:${port}`));
} else {
  console.error(`usage: upstream.js h1|h2c PORT NAME (got protocol ${proto})`);
  process.exit(2);
}
