import { performance } from 'node:perf_hooks';
import type { CompiledRule } from '../engine/routing/index.js';
import { answerLocally } from './answer.js';
import type { Waiter } from './balance/queue.js';
import { backendInvalid, ERR_CANCEL, ERR_UNEXPECTED, noRoute, type Failure } from './errors.js';
import { Exchange } from './exchange.js';
import type { RouteBackendMetrics } from './route-metrics.js';
import { endRequest } from './scope.js';
import { tapEndpoint } from './tap/open.js';
import type { Backend, Endpoint } from './targets.js';
import { anotherEndpoint, mayRedispatch } from './redispatch.js';
import type { Redispatch, Transport } from './transport.js';

/**
 * A routed request on an outbound listener, any protocol: `rule` is what the listener's tables matched
 * (undefined: none). A rule with filters, timeouts, retries or mirrors takes the policy path
 * (`exchange.ts`); every other one this fast path: a backend by weight, an endpoint by the backend's
 * balancer, and the request as received forwarded to it, with no object of the stack's own but the
 * transport and a small `FastRedispatch`. Balancing is per request, never per connection. A request that was never sent (its
 * endpoint refused the connection...) goes to another endpoint (redispatch.ts). The caller has counted
 * the request in `inflight`.
 */
export function serve(tp: Transport, rule: CompiledRule | undefined): void {
  const st = tp.ctx.st;
  if (rule === undefined) {
    const ref = st.table.parent;
    const reason = `no route matches ${tp.method} ${pathOnly(tp.url)} on ${ref.namespace}/${ref.service}:${ref.port}`;
    answerLocally(tp, noRoute(reason), st.series);
    return;
  }
  if (!rule.plain) {
    new Exchange(tp, rule).run();
    return;
  }
  const backend = rule.pick();
  const rm = st.ruleMetrics.get(rule);
  if (backend.failStatus !== 0 || backend.target === undefined) {
    const series = backend.target !== undefined ? (st.targets[backend.target.index] as Backend).series : st.series;
    answerLocally(tp, backendInvalid(backend.reason, backend.failStatus), series);
    rm?.route.request(-1, performance.now() - tp.ctx.start, ERR_UNEXPECTED);
    return;
  }
  const t = st.targets[backend.target.index] as Backend;
  const rb = rm?.backend(backend.target.index);
  const ep = t.balancer.pick();
  if (ep === undefined) {
    waitForEndpoint(tp, t, rb);
    return;
  }
  dispatch(tp, t, rb, ep);
}

/** send the request to `ep`; a try that sends nothing goes to another endpoint (redispatch.ts) */
function dispatch(tp: Transport, t: Backend, rb: RouteBackendMetrics | undefined, ep: Endpoint): void {
  ep.series.request();
  if (tp.ctx.tap !== undefined) tapEndpoint(tp.ctx, ep);
  tp.forward(ep, t.balancer.release !== undefined, rb, new FastRedispatch(tp, t, rb, ep));
}

/** the fast path's `Redispatch`: one per request, following it from endpoint to endpoint */
class FastRedispatch implements Redispatch {
  private count = 0;
  constructor(
    private readonly tp: Transport,
    private readonly t: Backend,
    private readonly rb: RouteBackendMetrics | undefined,
    private ep: Endpoint,
  ) {}

  get sidecar(): boolean {
    return this.ep.serverId !== undefined;
  }

  again(f: Failure): boolean {
    if (!mayRedispatch(f, this.count) || !this.tp.resendable()) return false;
    const next = anotherEndpoint(this.t, this.ep);
    if (next === undefined) return false;
    this.count++;
    this.ep = next;
    const tp = this.tp;
    next.series.request();
    if (tp.ctx.tap !== undefined) tapEndpoint(tp.ctx, next);
    tp.forward(next, this.t.balancer.release !== undefined, this.rb, this);
    return true;
  }
}

/** no endpoint available now: wait in the backend's bounded queue (the slow path) */
function waitForEndpoint(tp: Transport, t: Backend, rb: RouteBackendMetrics | undefined): void {
  const queue = t.queue;
  const waiter: Waiter<Endpoint> = {
    serve: (ep) => {
      tp.forget();
      dispatch(tp, t, rb, ep);
    },
    fail: (f: Failure) => {
      tp.forget();
      answerLocally(tp, f, t.series);
      rb?.response(-1, performance.now() - tp.ctx.start, f.error);
    },
  };
  tp.onClientGone(() => {
    if (!queue.cancel(waiter)) return;
    rb?.response(-1, performance.now() - tp.ctx.start, ERR_CANCEL);
    endRequest(tp.ctx, 0, -1, 'cancelled by the client');
  });
  queue.wait(waiter);
}

function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
