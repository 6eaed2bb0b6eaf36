import { connectivityState, type Client } from '@grpc/grpc-js';

/** how long one wait for a state change lasts before it is renewed (grpc-js needs a deadline) */
const WATCH_MS = 30_000;

/**
 * Calls `onReady` once the client's channel is READY again (asking it to connect if it is idle), then
 * stops watching; `stop()` gives up earlier. Streams that lost the control plane wait out their own
 * backoff, and the channel reconnects on its own backoff: without this, the two add up (a stream may
 * retry just before the channel is back and then wait a whole backoff more, up to 10 s). With it, the
 * streams reopen as soon as the channel is up.
 */
export function onChannelReady(client: Client, onReady: () => void): { stop(): void } {
  const channel = client.getChannel();
  let stopped = false;
  const step = (): void => {
    if (stopped) return;
    let state: connectivityState;
    try {
      state = channel.getConnectivityState(true);
    } catch {
      return; // the channel was closed
    }
    if (state === connectivityState.READY) {
      stopped = true;
      onReady();
      return;
    }
    if (state === connectivityState.SHUTDOWN) return;
    channel.watchConnectivityState(state, Date.now() + WATCH_MS, () => step());
  };
  step();
  return {
    stop() {
      stopped = true;
    },
  };
}
