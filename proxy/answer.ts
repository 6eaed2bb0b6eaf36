import { performance } from 'node:perf_hooks';
import type { CompiledCors, CompiledRedirect, HeaderEdit } from '../engine/routing/index.js';
import type { Failure } from './errors.js';
import { applyHeaderEdit } from './filters/header-modifier.js';
import { lineValue, type RequestState } from './filters/state.js';
import type { Series } from './metrics.js';
import { endRequest } from './scope.js';
import type { Transport } from './transport.js';

/**
 * Answers the proxy makes itself, for every protocol: counted on `series` as a request and its response,
 * then the request leaves the listener's in-flight count.
 */

/** A proxy error (no route, no endpoint, a timeout while no try was in flight, ...): a failed response. */
export function answerLocally(tp: Transport, f: Failure, series: Series): void {
  series.request();
  const g = tp.sendError(f);
  series.response(tp.grpc ? 200 : f.status, performance.now() - tp.ctx.start, true, g);
  endRequest(tp.ctx, tp.grpc ? 200 : f.status, g, f.reason);
}

/**
 * A RequestRedirect: its status and `Location` (built from the request as the filters left it), no
 * body. Returns the status sent (see `answerFromFilter`).
 */
export function answerRedirect(
  tp: Transport,
  redirect: CompiledRedirect,
  url: string,
  responseEdits: readonly (HeaderEdit | undefined)[],
): number {
  const parent = tp.ctx.st.table.parent;
  const location = redirect.location({
    url,
    host: tp.host,
    scheme: tp.scheme,
    port: parent.port,
    fallbackHost: `${parent.service}.${parent.namespace}.svc.cluster.local`,
  });
  return answerFromFilter(tp, redirect.statusCode, ['location', location], responseEdits);
}

/**
 * A CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`): 200 with the CORS
 * headers the filter grants that origin (none for an origin it does not allow), no body.
 */
export function answerPreflight(
  tp: Transport,
  cors: CompiledCors,
  rs: RequestState,
  responseEdits: readonly (HeaderEdit | undefined)[],
): number {
  const origin = lineValue(rs.headers, 'origin') ?? '';
  const method = lineValue(rs.headers, 'access-control-request-method') ?? '';
  const headers = cors.preflight(origin, method, lineValue(rs.headers, 'access-control-request-headers'));
  return answerFromFilter(tp, 200, headers, responseEdits);
}

/**
 * An answer a filter makes (a redirect, a preflight): `status` and `headers`, no body. It is not a
 * proxy error (no `weir-proxy-error`); the ResponseHeaderModifiers of the rule and backend still apply.
 * Counted on the listener's series. Returns the status sent.
 */
function answerFromFilter(
  tp: Transport,
  status: number,
  headers: string[],
  responseEdits: readonly (HeaderEdit | undefined)[],
): number {
  const st = tp.ctx.st;
  for (const e of responseEdits) if (e !== undefined) headers = applyHeaderEdit(headers, e);
  st.series.request();
  tp.sendRedirect(status, headers);
  st.series.response(status, performance.now() - tp.ctx.start, false);
  endRequest(tp.ctx, status);
  return status;
}
