import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import pinoPretty from 'pino-pretty';

import type { LogFields, Logger } from '../engine/logger.js';

export type { LogFields, Logger };

function wrap(p: Pino): Logger {
  const at =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: LogFields): void =>
      fields ? p[level](fields, msg) : p[level](msg);
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (component, fields) => wrap(p.child({ component, ...fields })),
  };
}

export type LogFormat = 'json' | 'pretty';

/** `WEIR_LOG_FORMAT` (json | pretty), else pretty on a terminal and JSON lines otherwise */
export function logFormat(env: NodeJS.ProcessEnv = process.env, isTTY = process.stderr.isTTY === true): LogFormat {
  const wanted = env.WEIR_LOG_FORMAT;
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  return isTTY ? 'pretty' : 'json';
}

/** where the logs go (`to`: stderr): JSON lines, or pino-pretty's readable form */
export function logDestination(
  format: LogFormat,
  colorize = process.stderr.isTTY === true,
  to: number | DestinationStream = 2,
): DestinationStream {
  if (format === 'json') return typeof to === 'number' ? pino.destination({ fd: to, sync: true }) : to;
  return pinoPretty({
    destination: to,
    sync: true,
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    messageKey: 'msg',
  });
}

/**
 * The logs of `weir up`, `weir loadtester`...: on stderr at WEIR_LOG_LEVEL (default info; `silent` for quiet
 * runs such as the demo), as JSON lines with the structured fields (component, namespace, canary, pod...) when
 * stderr is not a terminal, and readable on a terminal (see `logFormat`). Stdout stays for the command's own
 * lines (the README's contract).
 */
export function createLogger(
  level = process.env.WEIR_LOG_LEVEL ?? 'info',
  destination: DestinationStream = logDestination(logFormat()),
): Logger {
  return wrap(pino({ level, base: undefined }, destination));
}
