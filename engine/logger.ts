/**
 * The logging surface every component takes: one message string per call, and optionally the structured
 * fields it is about (`namespace`, `canary`, `pod`...), which the JSON logs carry as fields of their own.
 * The CLI passes a pino-backed implementation (cli/logger.ts); tests pass nothing (silent). A type and a
 * no-op value only: no I/O here.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | undefined>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** a logger whose lines carry `component` and `fields` */
  child(component: string, fields?: LogFields): Logger;
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
