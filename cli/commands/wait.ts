import { templateHash } from '../../engine/canary/revision.js';
import { kinds, parseDurationMs, type Canary, type Deployment, type KubeEvent } from '../../engine/resources/index.js';
import { kindFromUserName } from '../../controlplane/api/kube-paths.js';
import { ApiClient } from '../api-client.js';
import { failureReason } from '../canary-failure.js';
import { resolveApiUrl } from '../instance-file.js';
import { byEventTime } from '../output/columns/event.js';
import { parseWaitFor, progressLine, waitVerdict, type WaitFor, type WaitVerdict } from '../wait-condition.js';
import { followWatch } from '../watch-client.js';

export interface WaitOptions {
  for?: string;
  timeout: string;
  namespace?: string;
  api?: string;
}

/** the default of --timeout (cli/main.ts says it too) */
const DEFAULT_TIMEOUT = '10m';

/** `weir wait canary NAME --for=promoted|failed|phase=P [--timeout D]`: 0 met, 1 opposite/not found, 2 timeout/usage */
export async function waitCommand(kindName: string, name: string, opts: WaitOptions): Promise<number> {
  if (kindFromUserName(kindName)?.kind !== 'Canary') {
    console.error(`error: weir wait supports canaries only (got "${kindName}")`);
    return 2;
  }
  const want = parseWaitFor(opts.for);
  if (typeof want === 'string') {
    console.error(`error: ${want}`);
    return 2;
  }
  const timeoutMs = parseDurationMs(opts.timeout);
  if (timeoutMs === undefined || timeoutMs < 0) {
    console.error(`error: --timeout: expected a Go duration such as 90s or 10m, got "${opts.timeout}"`);
    return 2;
  }
  const ns = opts.namespace ?? 'default';
  const client = new ApiClient(await resolveApiUrl(opts.api));
  const first = (await client.get('Canary', ns, name)) as Canary | undefined;
  if (!first) {
    console.error(`Error from server (NotFound): canaries.flagger.app "${name}" not found`);
    return 1;
  }
  return new CanaryWait(client, ns, name, want).run(first, timeoutMs);
}

/** one wait: the Canary's watch, the target's template hash re-read on each change, a deadline */
class CanaryWait {
  private lastLine = '';
  private outcome: { code: number; canary?: Canary } | undefined;
  private readonly stop = new AbortController();

  constructor(
    private readonly client: ApiClient,
    private readonly ns: string,
    private readonly name: string,
    private readonly want: WaitFor,
  ) {}

  async run(first: Canary, timeoutMs: number): Promise<number> {
    const timer = setTimeout(() => this.stop.abort(), timeoutMs);
    const onSignal = (): void => this.stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    let chain = this.observe(first);
    try {
      await chain;
      if (!this.outcome) {
        await followWatch({
          client: this.client,
          info: kinds.Canary!,
          namespace: this.ns,
          fieldSelector: `metadata.name=${this.name}`,
          resourceVersion: first.metadata.resourceVersion ?? '',
          requestSeconds: Math.max(1, Math.min(60, Math.ceil(timeoutMs / 1000))),
          signal: this.stop.signal,
          onEvent: (type, o) => {
            chain = chain.then(() =>
              type === 'DELETED' ? this.finish(1, undefined, 'deleted') : this.observe(o as Canary),
            );
          },
          onRelist: (items) => {
            const c = items.find((i) => i.metadata.name === this.name);
            chain = chain.then(() => (c ? this.observe(c as Canary) : this.finish(1, undefined, 'deleted')));
          },
        });
      }
      await chain;
    } catch (err) {
      console.error(
        `error: watching canary ${this.name}.${this.ns}: ${err instanceof Error ? err.message : String(err)}`,
      );
      return 1;
    } finally {
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (this.outcome) return this.report(this.outcome);
    const what = this.want.kind === 'phase' ? `phase=${this.want.phase}` : this.want.kind;
    console.error(`error: timed out waiting for the condition (${what}) on canaries/${this.name}`);
    return 2;
  }

  private async observe(canary: Canary): Promise<void> {
    if (this.outcome) return;
    const line = progressLine(canary);
    if (line !== this.lastLine) {
      this.lastLine = line;
      console.log(line);
    }
    const verdict: WaitVerdict = waitVerdict(canary, await this.currentHash(canary), this.want);
    if (verdict === 'met') this.finish(0, canary);
    else if (verdict === 'opposite') this.finish(1, canary);
  }

  /** the hash of the target's pod template now (undefined while it does not exist) */
  private async currentHash(canary: Canary): Promise<string | undefined> {
    const dep = (await this.client.get('Deployment', this.ns, canary.spec.targetRef.name)) as Deployment | undefined;
    return dep ? templateHash(dep.spec.template) : undefined;
  }

  private finish(code: number, canary: Canary | undefined, deleted?: 'deleted'): void {
    if (this.outcome) return;
    this.outcome = deleted ? { code } : { code, ...(canary ? { canary } : {}) };
    if (deleted) console.error(`error: canary ${this.name}.${this.ns} was deleted`);
    this.stop.abort();
  }

  private async report(o: { code: number; canary?: Canary }): Promise<number> {
    if (o.code === 0) {
      console.log(`canary.flagger.app/${this.name} condition met`);
      return 0;
    }
    if (!o.canary) return o.code;
    const phase = o.canary.status?.phase ?? '';
    let reason = '';
    if (phase === 'Failed') {
      const events = (
        (await this.client
          .list('Event', this.ns, { fieldSelector: `involvedObject.kind=Canary,involvedObject.name=${this.name}` })
          .catch(() => [])) as KubeEvent[]
      ).sort(byEventTime);
      reason = `: ${failureReason(o.canary, events) ?? ''}`;
    }
    console.error(`error: canary.flagger.app/${this.name} ${phase}${reason}`);
    return o.code;
  }
}

export { DEFAULT_TIMEOUT };
