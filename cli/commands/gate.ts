import { ApiClient } from '../api-client.js';
import { resolveApiUrl } from '../instance-file.js';

export const gateActions = ['open', 'close', 'check'] as const;
export type GateAction = (typeof gateActions)[number];

export interface GateOptions {
  namespace?: string;
  rollback?: boolean;
  loadtester?: string;
  api?: string;
}

/** `--loadtester URL`, else $WEIR_LOADTESTER, else the running instance's (`GET /weir/v1/loadtester`) */
async function loadtesterUrl(opts: GateOptions): Promise<string> {
  const given = opts.loadtester ?? process.env.WEIR_LOADTESTER;
  if (given) return given.replace(/\/$/, '');
  const client = new ApiClient(await resolveApiUrl(opts.api));
  return (await client.request<{ url: string }>('GET', '/weir/v1/loadtester')).url;
}

/** `weir gate open|close|check NAME [-n NS] [--rollback]`: the built-in loadtester's manual gates */
export async function gateCommand(action: string, name: string, opts: GateOptions): Promise<number> {
  if (!(gateActions as readonly string[]).includes(action)) {
    console.error(`error: weir gate takes open, close or check (got "${action}")`);
    return 2;
  }
  const ns = opts.namespace ?? 'default';
  const base = await loadtesterUrl(opts);
  const what = `${opts.rollback ? 'rollback gate' : 'gate'} ${name}.${ns}`;
  let res: globalThis.Response;
  try {
    res = await fetch(`${base}/${opts.rollback ? 'rollback' : 'gate'}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, namespace: ns }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    console.error(`error: cannot reach the loadtester at ${base}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
  const body = await res.text();
  if (action === 'check') {
    if (res.status === 200) {
      console.log(`${what} is open`);
      return 0;
    }
    if (res.status === 403 && body.trim() === 'Forbidden') {
      console.log(`${what} is closed`);
      return 1;
    }
  } else if (res.status === 202 || res.ok) {
    console.log(`${what} ${action === 'open' ? 'opened' : 'closed'}`);
    return 0;
  }
  console.error(`error: the loadtester answered ${res.status}: ${body.trim()}`);
  return 1;
}
