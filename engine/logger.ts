/**
 * The logging surface every component takes: one message string per call. The CLI passes a pino-backed
 * implementation (cli/logger.ts); tests pass nothing (silent). A type and a no-op value only: no I/O here.
 */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  child(component: string): Logger;
}

const noop = (): void => {};

export const silentLogger: Logger = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
};

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
