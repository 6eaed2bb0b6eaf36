import { resolve } from 'node:path';
import { forgetInstance, recordInstance } from '../instance-file.js';
import { createLogger } from '../logger.js';
import { startMesh } from '../mesh.js';

export interface UpOptions {
  apiPort?: number;
  stateDir?: string;
  serviceHost: string;
  controller: boolean;
  loadtesterPort?: number;
}

/** `weir up DIR`: foreground until SIGINT/SIGTERM, then stop every process it started. */
export async function upCommand(dir: string, opts: UpOptions): Promise<number> {
  if (opts.apiPort !== undefined && !(Number.isInteger(opts.apiPort) && opts.apiPort >= 0 && opts.apiPort < 65536)) {
    console.error(`weir up: --api-port must be a port number, got ${String(opts.apiPort)}`);
    return 2;
  }
  const logger = createLogger();
  const mesh = await startMesh({
    dir,
    stateDir: opts.stateDir,
    apiPort: opts.apiPort,
    serviceHost: opts.serviceHost,
    controller: opts.controller,
    logger,
    ...(opts.loadtesterPort !== undefined ? { loadtesterPort: opts.loadtesterPort } : {}),
  });
  console.log(`Weir API listening on ${mesh.api.url}`);
  if (mesh.loadtester) console.log(`loadtester listening on ${mesh.loadtester.url}`);
  console.log(`manifests: ${resolve(dir)}  state: ${mesh.store.stateDir}`);
  for (const l of mesh.outbound.listeners()) {
    console.log(`service ${l.namespace}/${l.service} listening on ${l.host}:${l.port}`);
  }
  for (const e of mesh.store.rejected())
    console.error(`rejected: ${e.file ?? ''}${e.doc ? `[${e.doc}]` : ''} ${e.path}: ${e.message}`);
  await recordInstance({ api: mesh.api.url, pid: process.pid, dir: resolve(dir), startedAt: new Date().toISOString() });

  await new Promise<void>((done) => {
    const stop = (sig: string): void => {
      console.log(`${sig}: stopping`);
      done();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  const hardStop = setTimeout(() => {
    console.error('weir up: shutdown took too long, exiting');
    process.exit(1);
  }, 30_000);
  hardStop.unref();
  await mesh.close();
  await forgetInstance(process.pid);
  clearTimeout(hardStop);
  return 0;
}
