import { resolve } from 'node:path';
import type { Command } from 'commander';

export interface LoadtesterOptions {
  port: number;
  host: string;
  stateFile?: string;
  enableCmd?: boolean;
  namespaceRegexp?: string;
}

/** `weir loadtester`: the flagger-loadtester compatible gate and load service, in the foreground. */
export async function loadtesterCommand(opts: LoadtesterOptions): Promise<number> {
  if (!(Number.isInteger(opts.port) && opts.port >= 0 && opts.port < 65536)) {
    console.error(`weir loadtester: --port must be a port number, got ${String(opts.port)}`);
    return 2;
  }
  // imported here: cli/main.ts registers this command without loading the loadtester (express)
  const [{ fileGatePersistence }, { startLoadTester }, { createLogger }] = await Promise.all([
    import('../../rollouts/loadtester/gates.js'),
    import('../../rollouts/loadtester/server.js'),
    import('../logger.js'),
  ]);
  const logger = createLogger();
  const lt = await startLoadTester({
    host: opts.host,
    port: opts.port,
    enableCmd: opts.enableCmd === true,
    ...(opts.namespaceRegexp ? { namespaceRegexp: opts.namespaceRegexp } : {}),
    ...(opts.stateFile ? { persistence: fileGatePersistence(resolve(opts.stateFile)) } : {}),
    logger: logger.child('loadtester'),
  });
  console.log(`loadtester listening on ${lt.url}`);
  if (opts.stateFile) console.log(`gates kept in ${resolve(opts.stateFile)}`);
  if (opts.enableCmd) console.log('commands enabled (cmd, bash)');
  await new Promise<void>((done) => {
    process.once('SIGINT', () => done());
    process.once('SIGTERM', () => done());
  });
  await lt.close();
  return 0;
}

export function addLoadtesterCommand(program: Command, setCode: (code: number) => void): void {
  program
    .command('loadtester')
    .description('run the flagger-loadtester compatible gate and load service (/gate/*, /rollback/*, POST / tasks)')
    .option('--port <port>', 'port to listen on (0: a free port)', (v) => Number(v), 9090)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--state-file <file>', 'keep gate state in this JSON file (default: memory only, as Flagger)')
    .option('--enable-cmd', 'allow cmd and bash tasks to run shell commands (off by default)')
    .option('--namespace-regexp <re>', 'refuse payloads whose namespace does not match')
    .action(async (opts: LoadtesterOptions) => {
      setCode(await loadtesterCommand(opts));
    });
}
