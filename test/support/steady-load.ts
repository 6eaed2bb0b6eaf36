/** What a steady load saw: requests answered as expected, the others, and the first few failures. */
export interface LoadTally {
  ok: number;
  failed: number;
  failures: string[];
}

export interface SteadyLoad {
  tally(): LoadTally;
  /** stop sending, wait for the requests in flight, and tell */
  stop(): Promise<LoadTally>;
}

/**
 * `concurrency` loops, each sending one request after the other (`send` resolves with a failure's
 * description, or undefined when the answer is the expected one), `pauseMs` apart, until stopped.
 */
export function steadyLoad(send: () => Promise<string | undefined>, concurrency = 4, pauseMs = 10): SteadyLoad {
  const t: LoadTally = { ok: 0, failed: 0, failures: [] };
  let stopping = false;
  const loop = async (): Promise<void> => {
    while (!stopping) {
      let failure: string | undefined;
      try {
        failure = await send();
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
      if (failure === undefined) t.ok++;
      else {
        t.failed++;
        if (t.failures.length < 10) t.failures.push(`${new Date().toISOString()} ${failure}`);
      }
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const loops = Array.from({ length: concurrency }, () => loop());
  return {
    tally: () => ({ ...t, failures: [...t.failures] }),
    stop: async () => {
      stopping = true;
      await Promise.all(loops);
      return { ...t, failures: [...t.failures] };
    },
  };
}
