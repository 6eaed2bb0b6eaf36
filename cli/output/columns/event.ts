import type { KubeEvent, KubeObject } from '../../../engine/resources/index.js';
import { ageOf } from '../age.js';
import type { Columns, RowContext } from './types.js';

/** when an event last happened */
export function eventTime(e: KubeEvent): string | undefined {
  return e.lastTimestamp ?? e.firstTimestamp ?? e.metadata.creationTimestamp;
}

/** oldest first, as `kubectl get events` sorts them (ties: by name, which Weir's recorder makes ordered) */
export function byEventTime(a: KubeEvent, b: KubeEvent): number {
  const ta = Date.parse(eventTime(a) ?? '') || 0;
  const tb = Date.parse(eventTime(b) ?? '') || 0;
  return ta - tb || a.metadata.name.localeCompare(b.metadata.name);
}

export const eventColumns: Columns = {
  head: () => ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  row(o: KubeObject, ctx: RowContext) {
    const e = o as KubeEvent;
    return [
      ageOf(eventTime(e), ctx.now),
      e.type,
      e.reason,
      `${e.involvedObject.kind.toLowerCase()}/${e.involvedObject.name}`,
      e.message,
    ];
  },
};
