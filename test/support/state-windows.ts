/**
 * "What did users see during phase X?", answered as a careful observer would on a busy machine.
 *
 * Each request is sent between two reads of the controller's own record (the Canary's status, the
 * HTTPRoute it writes); it is attributed to the state both reads agree on, and dropped when its window
 * straddles a transition: the controller may have moved on while the request was in flight, and the
 * request then says nothing about either state. No sleep decides anything.
 *
 * One read closes a window and opens the next, so a run of requests costs one read per request.
 */
export class StateWindows<S> {
  private last: S | undefined;
  private readonly seen = new Map<string, Array<{ tag: string; value: unknown }>>();
  /** requests whose window straddled a transition, by tag */
  readonly straddled = new Map<string, number>();

  /**
   * @param read reads the record (for example the Canary's status from the API)
   * @param label names the state a request is attributed to; two reads with the same label are one state
   */
  constructor(
    private readonly read: () => Promise<S>,
    private readonly label: (s: S) => string,
  ) {}

  /** the state as last read (reads it when nothing was read yet) */
  async current(): Promise<S> {
    this.last ??= await this.read();
    return this.last;
  }

  /** read the record again, dropping what was known (after a pause in the requests) */
  async refresh(): Promise<S> {
    this.last = await this.read();
    return this.last;
  }

  /**
   * Send one request (`act`) inside a window; its result is kept under `tag` for the state the window
   * saw, or counted as straddling. Returns the state after the request.
   */
  async observe<T>(tag: string, act: () => Promise<T>): Promise<S> {
    const before = await this.current();
    const value = await act();
    const after = await this.refresh();
    const label = this.label(before);
    if (label === this.label(after)) {
      const list = this.seen.get(label) ?? [];
      list.push({ tag, value });
      this.seen.set(label, list);
    } else {
      this.straddled.set(tag, (this.straddled.get(tag) ?? 0) + 1);
    }
    return after;
  }

  /** the results of the requests tagged `tag` that were answered wholly within state `label`, in order */
  during<T>(label: string, tag: string): T[] {
    return (this.seen.get(label) ?? []).filter((r) => r.tag === tag).map((r) => r.value as T);
  }

  /** the labels of the states some request was attributed to */
  labels(): string[] {
    return [...this.seen.keys()];
  }
}
