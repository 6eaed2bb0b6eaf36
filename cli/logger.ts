import { pino, type Logger as Pino } from 'pino';

import type { Logger } from '../engine/logger.js';

export type { Logger };

function wrap(p: Pino): Logger {
  return {
    debug: (m) => p.debug(m),
    info: (m) => p.info(m),
    warn: (m) => p.warn(m),
    error: (m) => p.error(m),
    child: (component) => wrap(p.child({ component })),
  };
}

/** JSON lines on stderr at WEIR_LOG_LEVEL (default info); `silent` for quiet runs such as the demo. */
export function createLogger(level = process.env.WEIR_LOG_LEVEL ?? 'info'): Logger {
  return wrap(pino({ level, base: undefined }, pino.destination(2)));
}
