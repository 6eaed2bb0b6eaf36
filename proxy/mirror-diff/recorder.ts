import {
  compareAnswers,
  MIRROR_DIFF_DIFFERENCES_TOTAL,
  MIRROR_DIFF_DIFFERING_TOTAL,
  MIRROR_DIFF_REQUESTS_TOTAL,
  NoiseModel,
  type CapturedAnswer,
  type CompiledDiffConfig,
  type Difference,
} from '../../engine/mirror-diff/index.js';
import { renderLabels } from '../metrics.js';

/** what a comparison is counted under: the route, and the primary and mirror backends */
export interface DiffKey {
  /** `ns/name` of the HTTPRoute */
  route: string;
  primaryNamespace: string;
  primaryService: string;
  mirrorNamespace: string;
  mirrorService: string;
}

/** one mirrored request whose canary answer differed, as `GET /mirror-diffs` shows it */
export interface RecordedDiff {
  /** ISO time of the comparison */
  time: string;
  route: string;
  primary: string;
  mirror: string;
  method: string;
  path: string;
  differences: Difference[];
}

/** the counts of one route and backend pair, as `GET /mirror-diffs` shows them */
export interface DiffTotalsRow {
  route: string;
  primary: string;
  mirror: string;
  compared: number;
  differing: number;
  noise: number;
  incomplete: number;
}

/** `GET /mirror-diffs` */
export interface MirrorDiffsPage {
  /** newest first */
  differences: RecordedDiff[];
  /** noisy fields by `route primary` */
  noise: Record<string, string[]>;
  totals: DiffTotalsRow[];
}

interface Counts {
  labels: string;
  compared: number;
  differing: number;
  /** differences left out as noise */
  noise: number;
  /** requests mirrored for a comparison that could not be made (an answer missing) */
  incomplete: number;
  /** second primary samples taken */
  noiseSamples: number;
  byReason: Map<string, number>;
}

const MAX_SERIES = 1024;
const MAX_PATH_CHARS = 200;

/**
 * The comparisons of one proxy: counters per route and backend pair, the Diffy noise model, and the last
 * `keep` differing requests. Metrics (Prometheus text, on the proxy's `/metrics`):
 *
 * - `mirror_diff_requests_total{route,primary_namespace,primary_service,mirror_namespace,mirror_service}`:
 *   mirrored requests whose answers were compared
 * - `mirror_diff_differing_total{…}`: of those, the ones with at least one difference that is not noise
 * - `mirror_diff_differences_total{…,reason}`: differences by kind (`status`, `header`, `field-value`,
 *   `field-type`, `field-missing`, `field-added`, `body`)
 * - `mirror_diff_noise_total{…}`: differences left out because the primary disagreed with itself there
 * - `mirror_diff_noise_samples_total{…}`: second primary answers taken; `mirror_diff_incomplete_total{…}`:
 *   requests not compared because an answer was missing
 */
export class MirrorDiffRecorder {
  private readonly counts = new Map<string, Counts>();
  private readonly noise = new NoiseModel();
  private readonly recent: RecordedDiff[] = [];

  constructor(
    private readonly keep = 100,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private countsOf(k: DiffKey): Counts {
    const id = `${k.route}\0${k.primaryNamespace}/${k.primaryService}\0${k.mirrorNamespace}/${k.mirrorService}`;
    let c = this.counts.get(id);
    if (c === undefined) {
      if (this.counts.size >= MAX_SERIES) this.counts.clear();
      c = {
        labels: renderLabels([
          ['route', k.route],
          ['primary_namespace', k.primaryNamespace],
          ['primary_service', k.primaryService],
          ['mirror_namespace', k.mirrorNamespace],
          ['mirror_service', k.mirrorService],
        ]),
        compared: 0,
        differing: 0,
        noise: 0,
        incomplete: 0,
        noiseSamples: 0,
        byReason: new Map(),
      };
      this.counts.set(id, c);
    }
    return c;
  }

  incomplete(k: DiffKey): void {
    this.countsOf(k).incomplete++;
  }

  /** compare one request's answers, learn noise from a second primary answer, count and keep the result */
  record(
    k: DiffKey,
    config: CompiledDiffConfig,
    method: string,
    path: string,
    primary: CapturedAnswer,
    mirror: CapturedAnswer,
    second: CapturedAnswer | undefined,
  ): Difference[] {
    const c = this.countsOf(k);
    const noiseKey = `${k.route}\0${k.primaryNamespace}/${k.primaryService}`;
    if (second !== undefined) {
      c.noiseSamples++;
      this.noise.learn(noiseKey, compareAnswers(primary, second, config));
    }
    const { differences, noise } = this.noise.filter(noiseKey, compareAnswers(primary, mirror, config));
    c.compared++;
    c.noise += noise;
    if (differences.length === 0) return differences;
    c.differing++;
    for (const d of differences) c.byReason.set(d.reason, (c.byReason.get(d.reason) ?? 0) + 1);
    this.recent.push({
      time: this.now().toISOString(),
      route: k.route,
      primary: `${k.primaryNamespace}/${k.primaryService}`,
      mirror: `${k.mirrorNamespace}/${k.mirrorService}`,
      method,
      path: path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path,
      differences: differences.slice(0, 20),
    });
    if (this.recent.length > this.keep) this.recent.splice(0, this.recent.length - this.keep);
    return differences;
  }

  /** the last differing requests, newest first */
  differences(limit = this.keep): RecordedDiff[] {
    return this.recent.slice(-limit).reverse();
  }

  /** the fields the noise filter learnt, by `route primary` */
  noisyFields(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const c of this.counts.keys()) {
      const [route, primary] = c.split('\0');
      const key = `${route}\0${primary}`;
      const fields = this.noise.fields(key);
      if (fields.length > 0) out[`${route} ${primary}`] = fields;
    }
    return out;
  }

  /** `GET /mirror-diffs` */
  view(limit?: number): MirrorDiffsPage {
    return {
      differences: this.differences(limit),
      noise: this.noisyFields(),
      totals: [...this.counts.entries()].map(([id, c]) => {
        const [route = '', primary = '', mirror = ''] = id.split('\0');
        return {
          route,
          primary,
          mirror,
          compared: c.compared,
          differing: c.differing,
          noise: c.noise,
          incomplete: c.incomplete,
        };
      }),
    };
  }

  render(): string {
    if (this.counts.size === 0) return '';
    const lines: string[] = [];
    const family = (name: string, help: string, each: (c: Counts) => void): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const c of this.counts.values()) each(c);
    };
    family(MIRROR_DIFF_REQUESTS_TOTAL, 'Mirrored requests whose primary and mirror answers were compared.', (c) =>
      lines.push(`${MIRROR_DIFF_REQUESTS_TOTAL}{${c.labels}} ${c.compared}`),
    );
    family(MIRROR_DIFF_DIFFERING_TOTAL, 'Compared requests whose answers differed beyond noise.', (c) =>
      lines.push(`${MIRROR_DIFF_DIFFERING_TOTAL}{${c.labels}} ${c.differing}`),
    );
    family(MIRROR_DIFF_DIFFERENCES_TOTAL, 'Differences between primary and mirror answers, by kind.', (c) => {
      for (const [reason, n] of c.byReason)
        lines.push(`${MIRROR_DIFF_DIFFERENCES_TOTAL}{${c.labels},reason="${reason}"} ${n}`);
    });
    family('mirror_diff_noise_total', 'Differences left out as noise (the primary disagreed with itself there).', (c) =>
      lines.push(`mirror_diff_noise_total{${c.labels}} ${c.noise}`),
    );
    family('mirror_diff_noise_samples_total', 'Second primary answers taken for the noise filter.', (c) =>
      lines.push(`mirror_diff_noise_samples_total{${c.labels}} ${c.noiseSamples}`),
    );
    family('mirror_diff_incomplete_total', 'Mirrored requests not compared because an answer was missing.', (c) =>
      lines.push(`mirror_diff_incomplete_total{${c.labels}} ${c.incomplete}`),
    );
    return lines.join('\n') + '\n';
  }
}
