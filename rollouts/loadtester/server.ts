import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { errorMessage, silentLogger, type Logger } from '../logger.js';
import { GateStore, gateKey, rollbackKey, type GatePersistence } from './gates.js';
import {
  LoadGenerator,
  LoadSpecError,
  parseHeyCommand,
  parseLoadMetadata,
  type LoadSpec,
  type LoadStats,
} from './load.js';
import { LoadTesterMetrics } from './metrics.js';

/**
 * A flagger-loadtester compatible service (reference 4.3, `pkg/loadtester/server.go`): manual gates and
 * rollback switches for webhooks, and load during analysis.
 *
 * | path | answer |
 * | --- | --- |
 * | `POST /gate/approve` | 200 OK (always) |
 * | `POST /gate/halt` | 403 Forbidden (always) |
 * | `POST /gate/check` | 200 Approved if gate `<name>.<namespace>` is open, else 403 (gates start closed) |
 * | `POST /gate/open`, `/gate/close` | set the gate, 202 |
 * | `POST /rollback/check` | 200 if `rollback.<name>.<namespace>` is open (use as a `rollback` hook), else 403 |
 * | `POST /rollback/open`, `/rollback/close` | set it, 202 |
 * | `POST /` | start a task from `metadata.type` (see below) |
 * | `GET /healthz` | 200 |
 * | `GET /metrics` | Prometheus text: process metrics and requests per task (metrics.ts) |
 * | `GET /gates`, `GET /tasks` | Weir: the gates and the running load tasks, as JSON |
 *
 * Tasks (`POST /` with the webhook payload): `type: load` (Weir's HTTP load generator, load.ts), and `cmd`
 * (the default type, as in Flagger): a `hey ...` command runs on the built-in generator (no shell); any other
 * command runs through `/bin/sh -c` only when commands are enabled (`--enable-cmd`), else 403. Async tasks
 * answer 202 and are deduplicated while running (same canary, same metadata), as Flagger does. `bash` runs
 * blocking (200, or 500 with the error; `returnCmdOutput: "true"` returns stdout), also only when enabled.
 * flagger-loadtester's other task types (`helm`, `helmv3`, `kubectl`, `concord`, `ngrinder`) → 400 saying they
 * are not supported and why; an unknown type → 400; no metadata → 400; a payload namespace not matching
 * `namespaceRegexp` → 403.
 *
 * Every payload is read as JSON whatever its content type, as flagger-loadtester does.
 */
/** flagger-loadtester task types Weir's load tester does not run, with the reason given to the caller */
export const UNSUPPORTED_TASK_TYPES: Readonly<Record<string, string>> = {
  helm: 'it runs the helm binary against a cluster (helm test); run it as type "bash" with --enable-cmd',
  helmv3: 'it runs the helm binary against a cluster (helm test); run it as type "bash" with --enable-cmd',
  kubectl: 'it runs the kubectl binary against a cluster; run it as type "bash" with --enable-cmd',
  concord: 'it starts Concord processes (a Concord server and its API key); Weir has no Concord client',
  ngrinder: 'it drives an nGrinder controller; Weir has no nGrinder client (type "load" generates HTTP load)',
};

export interface LoadTesterOptions {
  host?: string;
  /** default: a free port */
  port?: number;
  /** where gate state is kept (default: memory only, as Flagger) */
  persistence?: GatePersistence;
  /** allow `cmd` tasks that are not `hey`, and `bash` tasks (default false) */
  enableCmd?: boolean;
  namespaceRegexp?: string;
  /** bound of a blocking command (Flagger `-timeout`, default 1h) */
  taskTimeoutMs?: number;
  logger?: Logger;
}

export interface LoadTask {
  id: string;
  canary: string;
  kind: 'load' | 'cmd';
  description: string;
  startedAt: string;
  stats?: LoadStats;
}

export interface LoadTester {
  url: string;
  port: number;
  gates: GateStore;
  /** running tasks */
  tasks(): LoadTask[];
  close(): Promise<void>;
}

interface Payload {
  name?: unknown;
  namespace?: unknown;
  metadata?: Record<string, unknown>;
}

interface Running {
  task: LoadTask;
  stop(): Promise<void>;
}

export async function startLoadTester(options: LoadTesterOptions = {}): Promise<LoadTester> {
  const logger = options.logger ?? silentLogger;
  const gates = await GateStore.open(options.persistence);
  const nsRe = options.namespaceRegexp ? new RegExp(options.namespaceRegexp) : undefined;
  const running = new Map<string, Running>();
  const blocking = new Set<() => void>();
  const metrics = new LoadTesterMetrics(() => [...running.values()].map((r) => r.task));

  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ type: () => true, limit: '1mb', strict: false }));

  /** name and namespace of the payload; answers 400/403 and returns undefined when unusable */
  const subject = (req: Request, res: Response): { name: string; namespace: string; payload: Payload } | undefined => {
    const p = (req.body ?? {}) as Payload;
    if (typeof p !== 'object' || typeof p.name !== 'string' || typeof p.namespace !== 'string') {
      res.status(400).type('text').send('the payload needs name and namespace');
      return undefined;
    }
    if (nsRe && !nsRe.test(p.namespace)) {
      res.status(403).type('text').send(`namespace ${p.namespace} is not allowed`);
      return undefined;
    }
    return { name: p.name, namespace: p.namespace, payload: p };
  };

  const text = (res: Response, code: number, body: string) => res.status(code).type('text').send(body);

  app.get('/healthz', (_req, res) => text(res, 200, 'OK'));
  app.get('/metrics', (_req, res, next) => {
    metrics.registry.metrics().then((body) => res.type(metrics.registry.contentType).send(body), next);
  });
  app.all('/gate/approve', (_req, res) => text(res, 200, 'OK'));
  app.all('/gate/halt', (_req, res) => text(res, 403, 'Forbidden'));

  const check = (keyOf: (n: string, ns: string) => string, what: string) => (req: Request, res: Response) => {
    const s = subject(req, res);
    if (!s) return;
    const open = gates.isOpen(keyOf(s.name, s.namespace));
    logger.info(`${keyOf(s.name, s.namespace)} ${what} check: approved ${open}`);
    text(res, open ? 200 : 403, open ? 'Approved' : 'Forbidden');
  };
  const setter = (keyOf: (n: string, ns: string) => string, open: boolean) => (req: Request, res: Response) => {
    const s = subject(req, res);
    if (!s) return;
    const k = keyOf(s.name, s.namespace);
    gates.set(k, open).then(
      () => {
        logger.info(`${k} ${open ? 'opened' : 'closed'}`);
        res.status(202).end();
      },
      (err: unknown) => text(res, 500, `persisting the gate failed: ${errorMessage(err)}`),
    );
  };
  app.post('/gate/check', check(gateKey, 'gate'));
  app.post('/gate/open', setter(gateKey, true));
  app.post('/gate/close', setter(gateKey, false));
  app.post('/rollback/check', check(rollbackKey, 'rollback'));
  app.post('/rollback/open', setter(rollbackKey, true));
  app.post('/rollback/close', setter(rollbackKey, false));
  app.get('/gates', (_req, res) => res.json(gates.snapshot()));
  app.get('/tasks', (_req, res) => res.json({ items: [...running.values()].map((r) => r.task) }));

  const startLoad = (canary: string, spec: LoadSpec, id: string, description: string): void => {
    const gen = new LoadGenerator(spec);
    const task: LoadTask = {
      id,
      canary,
      kind: 'load',
      description,
      startedAt: new Date().toISOString(),
      stats: gen.stats,
    };
    running.set(id, { task, stop: () => gen.stop() });
    metrics.taskStarted(task);
    logger.info(`${canary}: load started: ${description}`);
    void gen.done.then(() => {
      metrics.taskFinished(task);
      running.delete(id);
      logger.info(`${canary}: load done: ${JSON.stringify(gen.stats)}`);
    });
  };

  const startCmd = (canary: string, cmd: string, id: string): void => {
    const child = spawn('/bin/sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    const task: LoadTask = { id, canary, kind: 'cmd', description: cmd, startedAt: new Date().toISOString() };
    const exited = new Promise<void>((r) => child.once('close', () => r()));
    metrics.taskStarted(task);
    running.set(id, {
      task,
      stop: async () => {
        child.kill('SIGKILL');
        await exited;
      },
    });
    child.stdout.on('data', (d: Buffer) => logger.info(`${canary}: ${d.toString().trimEnd()}`));
    child.stderr.on('data', (d: Buffer) => logger.warn(`${canary}: ${d.toString().trimEnd()}`));
    child.once('error', (err) => logger.warn(`${canary}: command failed: ${err.message}`));
    void exited.then(() => {
      metrics.taskFinished(task);
      running.delete(id);
    });
  };

  const runBlocking = (cmd: string): Promise<{ ok: boolean; stdout: string; error: string }> =>
    new Promise((resolve) => {
      const child = spawn('/bin/bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const kill = () => child.kill('SIGKILL');
      blocking.add(kill);
      const timer = setTimeout(kill, options.taskTimeoutMs ?? 3_600_000);
      child.once('error', (err) => {
        stderr += err.message;
      });
      child.once('close', (code) => {
        clearTimeout(timer);
        blocking.delete(kill);
        resolve({ ok: code === 0, stdout, error: `command ${cmd} failed: ${stderr || `exit code ${String(code)}`}` });
      });
    });

  app.post('/', (req, res) => {
    const s = subject(req, res);
    if (!s) return;
    const raw = s.payload.metadata;
    if (!raw || typeof raw !== 'object' || Object.keys(raw).length === 0) {
      text(res, 400, 'metadata not found in payload');
      return;
    }
    const metadata = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, String(v)]));
    const type = metadata.type ?? 'cmd';
    const canary = `${s.name}.${s.namespace}`;
    const id = createHash('sha256')
      .update(`${canary}\n${JSON.stringify(metadata)}`)
      .digest('hex')
      .slice(0, 16);
    try {
      if (type === 'load' || (type === 'cmd' && /^\s*hey(\s|$)/.test(metadata.cmd ?? ''))) {
        const spec = type === 'load' ? parseLoadMetadata(metadata) : parseHeyCommand(metadata.cmd!.trim());
        if (!running.has(id)) {
          const what = type === 'load' ? `${spec.method} ${spec.url} at ${spec.rate}/s` : metadata.cmd!;
          startLoad(canary, spec, id, what);
        }
        res.status(202).end();
        return;
      }
      if (type === 'cmd' || type === 'bash') {
        const cmd = metadata.cmd;
        if (!cmd) {
          text(res, 400, 'cmd not found in metadata');
          return;
        }
        if (!options.enableCmd) {
          text(
            res,
            403,
            'running commands is disabled (start the load tester with --enable-cmd); hey and type "load" work without it',
          );
          return;
        }
        if (type === 'cmd') {
          if (!running.has(id)) startCmd(canary, cmd, id);
          res.status(202).end();
          return;
        }
        void runBlocking(cmd).then((r) => {
          if (!r.ok) text(res, 500, r.error);
          else if (metadata.returnCmdOutput === 'true') text(res, 200, r.stdout);
          else res.status(200).end();
        });
        return;
      }
      const reason = UNSUPPORTED_TASK_TYPES[type];
      if (reason !== undefined) {
        text(res, 400, `task type ${type} is not supported by Weir's load tester: ${reason}`);
        return;
      }
      text(res, 400, `unknown task type ${type}`);
    } catch (err) {
      if (err instanceof LoadSpecError) text(res, 400, err.message);
      else text(res, 500, errorMessage(err));
    }
  });

  app.use((req: Request, res: Response) => text(res, 404, `no route for ${req.method} ${req.path}`));
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { status?: number; message?: string };
    text(res, e.status ?? 500, e.message ?? String(err));
  });

  const host = options.host ?? '127.0.0.1';
  const server: Server = await new Promise((resolve, reject) => {
    const srv = app.listen(options.port ?? 0, host);
    srv.once('listening', () => resolve(srv));
    srv.once('error', reject);
  });
  server.keepAliveTimeout = 5_000;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    gates,
    tasks: () => [...running.values()].map((r) => r.task),
    async close() {
      for (const k of [...blocking]) k();
      await Promise.allSettled([...running.values()].map((r) => r.stop()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gates.flush();
    },
  };
}
