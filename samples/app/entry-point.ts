import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Run `main` when the module at `moduleUrl` (its `import.meta.url`) is the program node was started with, not
 * when a test imports it; a failure is printed and exits 1. On SIGTERM/SIGINT `stop` runs once.
 */
export function runIfEntryPoint(moduleUrl: string, main: () => Promise<unknown>): void {
  const entry = process.argv[1];
  if (entry === undefined) return;
  try {
    if (realpathSync(entry) !== realpathSync(fileURLToPath(moduleUrl))) return;
  } catch {
    return;
  }
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}

/** call `stop` once, on the first SIGTERM or SIGINT, logging it as the sample apps do */
export function onStopSignal(stop: () => void): void {
  let stopping = false;
  const once = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(JSON.stringify({ msg: 'shutting down', signal }));
    stop();
  };
  process.once('SIGTERM', () => once('SIGTERM'));
  process.once('SIGINT', () => once('SIGINT'));
}
