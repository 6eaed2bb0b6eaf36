/**
 * The logging surface the control plane needs: one message string per call. Both pino's `Logger`
 * and the CLI's logger fit it structurally; tests pass nothing.
 */
export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const noop = (): void => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
