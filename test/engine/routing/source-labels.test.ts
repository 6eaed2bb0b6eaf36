import { describe, expect, it } from 'vitest';
import { compileRoutingTable, SOURCE_LABELS_ANNOTATION, type ClientWorkload } from '../../../engine/routing/index.js';
import type { HTTPRoute } from '../../../engine/resources/index.js';
import { request, route, service, to } from './fixtures.js';

const services = [service('echo'), service('echo-v1'), service('echo-v2')];
const parent = { namespace: 'default', service: 'echo', port: 80, portName: 'http' };

/** a canary-style route: rule `ab-match-0` to v2 for one source, everyone else to v1 */
function scoped(annotation: string | undefined): HTTPRoute {
  const r = route('echo', [
    { name: 'ab-match-0', backendRefs: [to('echo-v1', 0), to('echo-v2', 100)] },
    { backendRefs: [to('echo-v1', 100)] },
  ] as never);
  if (annotation !== undefined) r.metadata.annotations = { [SOURCE_LABELS_ANNOTATION]: annotation };
  return r;
}

function servedBy(r: HTTPRoute, client?: ClientWorkload): { service: string; warnings: readonly string[] } {
  const t = compileRoutingTable(parent, { services, httpRoutes: [r] }, client);
  const b = t.route(request({ url: '/' }))!.pick();
  return { service: b.target!.service, warnings: (t.describe() as { warnings?: string[] }).warnings ?? [] };
}

describe('route rules scoped by source labels (Istio sourceLabels, weir.io/source-labels)', () => {
  const annotation = JSON.stringify({ 'ab-match-0': { app: 'frontend', tier: 'web' } });

  it('apply to a client whose workload carries every listed label', () => {
    expect(servedBy(scoped(annotation), { labels: { app: 'frontend', tier: 'web', extra: 'x' } }).service).toBe(
      'echo-v2',
    );
  });

  it('are left out for a client with other labels, or none (outside the mesh)', () => {
    expect(servedBy(scoped(annotation), { labels: { app: 'frontend' } }).service).toBe('echo-v1');
    expect(servedBy(scoped(annotation), { labels: { app: 'backend', tier: 'web' } }).service).toBe('echo-v1');
    expect(servedBy(scoped(annotation)).service).toBe('echo-v1');
  });

  it('a rule not named in the annotation applies to everyone', () => {
    expect(servedBy(scoped(undefined)).service).toBe('echo-v2');
    expect(servedBy(scoped(JSON.stringify({ other: { app: 'x' } }))).service).toBe('echo-v2');
  });

  it('a malformed annotation is reported and scopes nothing', () => {
    const out = servedBy(scoped('{not json'), { labels: { app: 'frontend' } });
    expect(out.warnings).toEqual([
      expect.stringMatching(/^route default\/echo: annotation weir\.io\/source-labels ignored/),
    ]);
    const values = servedBy(scoped(JSON.stringify({ 'ab-match-0': { app: 1 } })));
    expect(values.warnings).toEqual([expect.stringMatching(/label values must be strings/)]);
  });
});
