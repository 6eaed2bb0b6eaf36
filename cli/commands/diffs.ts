import { ApiClient, ApiError } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';
import { formatTable } from '../table.js';
import type { MirrorDiffsView } from '../viz/mirror-diffs.js';

export interface DiffsOptions {
  namespace?: string;
  output?: string;
  limit?: string;
  api?: string;
}

interface CanaryLike {
  spec: { targetRef: { name: string }; service: { name?: string } };
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/**
 * `weir diffs [deploy/NAME|canary/NAME]`: the last mirrored requests whose canary answer differed from the
 * primary's, from every mirroring proxy of the running instance (`GET /weir/v1/mirror-diffs`). A Canary's
 * mirror is its `<service>-canary` Service; `deploy/NAME`'s is `NAME-canary`. Exit 0; 1 when the Canary does
 * not exist; 2 for a bad argument.
 */
export async function diffsCommand(target: string | undefined, opts: DiffsOptions): Promise<number> {
  if (opts.output !== undefined && opts.output !== 'json') {
    console.error(`error: --output must be json (got "${opts.output}")`);
    return 2;
  }
  const limit = opts.limit === undefined ? 20 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    console.error(`error: --limit must be an integer from 1 to 1000 (got "${opts.limit}")`);
    return 2;
  }
  const ns = opts.namespace ?? 'default';
  const client = new ApiClient(await resolveApiUrl(opts.api));
  let mirror: string | undefined;
  if (target !== undefined) {
    const m = /^(deploy|deployment|deployments|canary|canaries)\/(.+)$/.exec(target);
    if (!m) {
      console.error(`error: the target must be deploy/NAME or canary/NAME (got "${target}")`);
      return 2;
    }
    if (m[1]!.startsWith('deploy')) mirror = `${ns}/${m[2]}-canary`;
    else {
      try {
        const c = await client.request<CanaryLike>(
          'GET',
          `/apis/flagger.app/v1beta1/namespaces/${encodeURIComponent(ns)}/canaries/${encodeURIComponent(m[2]!)}`,
        );
        mirror = `${ns}/${c.spec.service.name ?? c.spec.targetRef.name}-canary`;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          console.error(`Error from server (NotFound): canaries.flagger.app "${m[2]}" not found`);
          return 1;
        }
        throw err;
      }
    }
  }
  const q = new URLSearchParams({ namespace: ns, limit: String(limit), ...(mirror !== undefined ? { mirror } : {}) });
  const v = await client.request<MirrorDiffsView>('GET', `/weir/v1/mirror-diffs?${q.toString()}`);
  if (opts.output === 'json') {
    console.log(JSON.stringify(v, null, 2));
    return 0;
  }
  const compared = v.totals.reduce((n, t) => n + t.compared, 0);
  const differing = v.totals.reduce((n, t) => n + t.differing, 0);
  console.log(
    `${differing} of ${compared} compared mirrored requests differed` +
      (compared > 0 ? ` (${((100 * differing) / compared).toFixed(1)}%)` : ''),
  );
  for (const [k, fields] of Object.entries(v.noise)) console.log(`noise (not counted) ${k}: ${fields.join(', ')}`);
  for (const [proxy, why] of Object.entries(v.failed)) console.error(`warning: ${proxy} did not answer: ${why}`);
  if (v.differences.length === 0) return 0;
  const rows = [['TIME', 'MIRROR', 'REQUEST', 'FIELD', 'PRIMARY', 'CANARY']];
  for (const d of v.differences) {
    d.differences.forEach((x, i) => {
      rows.push([
        i === 0 ? d.time.slice(11, 23) : '',
        i === 0 ? d.mirror : '',
        i === 0 ? cut(`${d.method} ${d.path}`, 50) : '',
        x.field,
        cut(x.primary, 40),
        cut(x.canary, 40),
      ]);
    });
  }
  console.log(formatTable(rows));
  return 0;
}
