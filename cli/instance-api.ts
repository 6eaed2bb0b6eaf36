import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Request, Response } from 'express';
import type { ApiExtension } from '../controlplane/api/http-api.js';
import type { ResourceStore } from '../controlplane/store/resource-store.js';
import type { MirrorDiffsView } from './viz/mirror-diffs.js';

export interface InstanceApiDeps {
  store: ResourceStore;
  /** where the runtime writes a pod's output */
  logFile(namespace: string, pod: string): string;
  /** the built-in loadtester's URL, when it runs */
  loadtesterUrl?: string;
  /** how often a followed log is checked for more output (default 200 ms) */
  followPollMs?: number;
  /** the mirror diffs of the mesh's proxies (viz/mirror-diffs.ts) */
  mirrorDiffs?: (q: { namespace?: string; mirror?: string; limit: number }) => Promise<MirrorDiffsView>;
}

const notFound = (res: Response, message: string): void => {
  res.status(404).json({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'NotFound',
    code: 404,
  });
};

/** the last `n` lines of a text */
function lastLines(text: string, n: number): string {
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  return lines.slice(-n).join('\n') + (trailing === '' ? '\n' : '');
}

/**
 * What `weir up` serves beyond the resources, for the CLI: a pod's log at the Kubernetes path
 * (`GET /api/v1/namespaces/NS/pods/NAME/log`, with `follow` and `tailLines`, so kubectl logs works) from
 * the runtime's log file, `GET /weir/v1/loadtester` (the built-in loadtester's URL), and
 * `GET /weir/v1/mirror-diffs?namespace=NS&mirror=NS/SERVICE&limit=N` (the last mirrored requests whose
 * canary answer differed, from every mirroring proxy; `weir diffs`, the dashboard).
 */
export function instanceApi(deps: InstanceApiDeps): ApiExtension {
  return {
    mount(app) {
      app.get('/weir/v1/loadtester', (_req, res) => {
        if (!deps.loadtesterUrl) notFound(res, 'this instance runs no loadtester');
        else res.json({ url: deps.loadtesterUrl });
      });
      app.get('/weir/v1/mirror-diffs', (req, res) => {
        const get = deps.mirrorDiffs;
        if (get === undefined) return notFound(res, 'this instance runs no mirroring proxy');
        const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
        if (!Number.isInteger(limit) || limit < 0 || limit > 1000) {
          res.status(400).json({
            kind: 'Status',
            status: 'Failure',
            message: 'limit: expected an integer from 0 to 1000',
            code: 400,
          });
          return;
        }
        const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
        const ns = str(req.query.namespace);
        const mirror = str(req.query.mirror);
        get({
          limit,
          ...(ns !== undefined ? { namespace: ns } : {}),
          ...(mirror !== undefined ? { mirror } : {}),
        }).then(
          (v) => res.json(v),
          (err: unknown) =>
            res.status(500).json({ kind: 'Status', status: 'Failure', message: String(err), code: 500 }),
        );
      });
      app.get('/api/v1/namespaces/:ns/pods/:name/log', (req, res) => {
        void servePodLog(deps, req, res);
      });
    },
  };
}

async function servePodLog(deps: InstanceApiDeps, req: Request, res: Response): Promise<void> {
  const ns = String(req.params.ns);
  const name = String(req.params.name);
  const podExists = () => deps.store.get('Pod', ns, name) !== undefined;
  if (!podExists()) {
    notFound(res, `pods "${name}" not found`);
    return;
  }
  const file = deps.logFile(ns, name);
  const follow = req.query.follow === 'true' || req.query.follow === '1';
  const tail = Number(req.query.tailLines);
  res.status(200).type('text/plain; charset=utf-8');
  let size = 0;
  try {
    size = (await stat(file)).size;
  } catch {
    // no output yet
  }
  if (Number.isInteger(tail) && tail >= 0) {
    const fh = await open(file, 'r').catch(() => undefined);
    if (fh) {
      const buf = Buffer.alloc(size);
      await fh.read(buf, 0, size, 0);
      await fh.close();
      res.write(lastLines(buf.toString('utf8'), tail));
    }
  } else if (size > 0) {
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(file, { start: 0, end: size - 1 });
      s.on('error', reject);
      s.on('end', resolve);
      s.pipe(res, { end: false });
    }).catch(() => undefined);
  }
  if (!follow) {
    res.end();
    return;
  }
  res.flushHeaders();
  // follow: send what the file grows by, until the client goes or the pod is gone
  let offset = size;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      try {
        const now = (await stat(file).catch(() => undefined))?.size ?? offset;
        if (now > offset) {
          const fh = await open(file, 'r');
          const buf = Buffer.alloc(now - offset);
          await fh.read(buf, 0, buf.length, offset);
          await fh.close();
          offset = now;
          res.write(buf);
        }
        if (!podExists()) finish();
      } finally {
        busy = false;
      }
    })();
  }, deps.followPollMs ?? 200);
  const finish = (): void => {
    clearInterval(timer);
    res.end();
  };
  req.on('close', () => clearInterval(timer));
}
