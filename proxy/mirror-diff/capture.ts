import type { CapturedAnswer } from '../../engine/mirror-diff/index.js';

/**
 * Keeps one answer for a comparison while it streams: its status, the chosen headers and at most
 * `maxBytes` of its body (the rest is counted, not kept). It only copies: the response it watches goes on
 * as before. `done(answer)` is called once, with undefined when the answer failed or never came.
 */
export class AnswerCapture {
  private status = 0;
  private headers: Record<string, string> = {};
  private chunks: Buffer[] = [];
  private kept = 0;
  private truncated = false;
  private over = false;

  constructor(
    private readonly wanted: readonly string[],
    private readonly maxBytes: number,
    private readonly done: (a: CapturedAnswer | undefined) => void,
  ) {}

  /** the response head; `rawHeaders` as undici gives them (`[name, value, ...]`, Buffers or strings) */
  head(status: number, rawHeaders: ReadonlyArray<Buffer | string>): void {
    if (this.over) return;
    this.status = status;
    const h: Record<string, string> = {};
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
      const name = rawHeaders[i]!.toString().toLowerCase();
      if (name !== 'content-type' && !this.wanted.includes(name)) continue;
      const v = rawHeaders[i + 1]!.toString();
      h[name] = h[name] === undefined ? v : `${h[name]}, ${v}`;
    }
    this.headers = h;
  }

  data(chunk: Buffer): void {
    if (this.over || this.truncated) return;
    const room = this.maxBytes - this.kept;
    if (chunk.length > room) {
      this.truncated = true;
      if (room > 0) this.chunks.push(Buffer.from(chunk.subarray(0, room)));
      this.kept = this.maxBytes;
      return;
    }
    // a copy: undici may reuse the chunk's memory
    this.chunks.push(Buffer.from(chunk));
    this.kept += chunk.length;
  }

  end(): void {
    if (this.over) return;
    this.over = true;
    if (this.status === 0) return this.done(undefined);
    this.done({
      status: this.status,
      headers: this.headers,
      body: Buffer.concat(this.chunks),
      truncated: this.truncated,
    });
    this.chunks = [];
  }

  fail(): void {
    if (this.over) return;
    this.over = true;
    this.chunks = [];
    this.done(undefined);
  }
}
