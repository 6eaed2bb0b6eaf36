import { EventEmitter } from 'node:events';
import { Metadata, status, type ClientReadableStream, type StatusObject } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../proxy/control/backoff.js';
import type { Timers } from '../../../proxy/control/timers.js';
import { ResilientWatch } from '../../../proxy/control/watch.js';

/** a stream the test drives: messages, then an end with a status */
class FakeCall extends EventEmitter {
  cancelled = false;
  cancel(): void {
    this.cancelled = true;
    this.end(status.CANCELLED, 'cancelled');
  }
  end(code: status, details: string): void {
    this.emit('error', Object.assign(new Error(details), { code, details }));
    this.emit('status', { code, details, metadata: new Metadata() } satisfies StatusObject);
  }
}

function manualTimers() {
  const pending: Array<{ fn: () => void; ms: number }> = [];
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const t = { fn, ms };
      pending.push(t);
      return t;
    },
    clearTimeout: (h) => {
      const i = pending.indexOf(h as (typeof pending)[number]);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  return { timers, pending };
}

describe('ResilientWatch', () => {
  it('reopens a stream closed for overflow after the backoff, marks its first message, and resets the backoff', () => {
    const calls: FakeCall[] = [];
    const seen: Array<[string, boolean]> = [];
    const downs: Array<[number, number]> = [];
    const { timers, pending } = manualTimers();
    const watch = new ResilientWatch<string>(
      () => {
        const c = new FakeCall();
        calls.push(c);
        return c as unknown as ClientReadableStream<string>;
      },
      { onMessage: (m, first) => seen.push([m, first]), onDown: (s, ms) => downs.push([s.code, ms]) },
      new Backoff({ random: () => 0 }),
      timers,
    ).start();

    calls[0]!.emit('data', 'whole state');
    calls[0]!.emit('data', 'a change');
    calls[0]!.end(status.RESOURCE_EXHAUSTED, 'update queue overflow');
    expect(downs).toEqual([[status.RESOURCE_EXHAUSTED, 100]]);
    expect(calls).toHaveLength(1);

    pending.shift()!.fn();
    expect(calls).toHaveLength(2);
    calls[1]!.end(status.UNAVAILABLE, 'connection refused');
    expect(downs.at(-1)).toEqual([status.UNAVAILABLE, 200]);
    pending.shift()!.fn();
    calls[2]!.emit('data', 'whole state again');
    expect(seen).toEqual([
      ['whole state', true],
      ['a change', false],
      ['whole state again', true],
    ]);
    // a message on the new stream reset the backoff
    calls[2]!.end(status.UNAVAILABLE, 'gone');
    expect(downs.at(-1)).toEqual([status.UNAVAILABLE, 100]);

    watch.close();
    expect(pending).toHaveLength(0);
  });

  it('stops for good when closed: the call is cancelled and nothing is reopened', () => {
    const calls: FakeCall[] = [];
    const { timers, pending } = manualTimers();
    const watch = new ResilientWatch<string>(
      () => {
        const c = new FakeCall();
        calls.push(c);
        return c as unknown as ClientReadableStream<string>;
      },
      { onMessage: () => undefined },
      new Backoff(),
      timers,
    ).start();
    watch.close();
    expect(calls[0]!.cancelled).toBe(true);
    expect(pending).toHaveLength(0);
    expect(calls).toHaveLength(1);
  });
  it('reopens at once when asked to (the channel is back) instead of waiting out the backoff, and only while it waits', () => {
    const calls: FakeCall[] = [];
    const { timers, pending } = manualTimers();
    const watch = new ResilientWatch<string>(
      () => {
        const c = new FakeCall();
        calls.push(c);
        return c as unknown as ClientReadableStream<string>;
      },
      { onMessage: () => undefined },
      new Backoff({ random: () => 0, minMs: 5_000 }),
      timers,
    ).start();
    watch.retryNow(); // open: nothing to do
    expect(calls).toHaveLength(1);
    expect(watch.waiting).toBe(false);

    calls[0]!.end(status.UNAVAILABLE, 'connection refused');
    expect(watch.waiting).toBe(true);
    expect(pending).toHaveLength(1);
    watch.retryNow();
    expect(calls).toHaveLength(2);
    expect(pending).toHaveLength(0);
    expect(watch.waiting).toBe(false);

    // a clock that cannot cancel: the stale retry fires and opens nothing
    calls[1]!.end(status.UNAVAILABLE, 'connection refused');
    const stale = pending[0]!;
    watch.retryNow();
    stale.fn();
    expect(calls).toHaveLength(3);
    watch.close();
  });
});
