import type { CapturedAnswer, CompiledDiffConfig } from '../../engine/mirror-diff/index.js';
import { AnswerCapture } from './capture.js';
import type { DiffKey, MirrorDiffRecorder } from './recorder.js';

/**
 * One mirrored request under comparison: the primary's answer (tee'd from the response the user gets),
 * the mirror's (canary's) answer, and, for a sampled idempotent request, a second answer of the primary
 * for the noise filter. Once every answer it waits for is in, it hands them to the recorder; if any of
 * the primary's or the mirror's is missing (an error, a dropped copy, a client that went away) the
 * request is not compared.
 */
export class DiffSession {
  private waiting: number;
  private primary: CapturedAnswer | undefined;
  private mirror: CapturedAnswer | undefined;
  private second: CapturedAnswer | undefined;
  private failed = false;

  constructor(
    private readonly recorder: MirrorDiffRecorder,
    private readonly key: DiffKey,
    private readonly config: CompiledDiffConfig,
    readonly method: string,
    readonly path: string,
    /** a second primary sample is sent */
    readonly withSecond: boolean,
  ) {
    this.waiting = withSecond ? 3 : 2;
  }

  private capture(set: (a: CapturedAnswer) => void, required: boolean): AnswerCapture {
    return new AnswerCapture(this.config.headers, this.config.maxBodyBytes, (a) => {
      if (a === undefined) {
        if (required) this.failed = true;
      } else set(a);
      if (--this.waiting === 0) this.finish();
    });
  }

  primaryCapture(): AnswerCapture {
    return this.capture((a) => (this.primary = a), true);
  }

  mirrorCapture(): AnswerCapture {
    return this.capture((a) => (this.mirror = a), true);
  }

  secondCapture(): AnswerCapture {
    return this.capture((a) => (this.second = a), false);
  }

  private finish(): void {
    if (this.failed || this.primary === undefined || this.mirror === undefined) {
      this.recorder.incomplete(this.key);
      return;
    }
    this.recorder.record(this.key, this.config, this.method, this.path, this.primary, this.mirror, this.second);
  }
}
