import type { ApiExtension } from '../controlplane/api/http-api.js';
import type { CanaryController, MeshMetricsProvider } from '../rollouts/index.js';

/** `/weir/v1/...`: what the controller knows beyond the resources (events, golden metrics). */
export function controlApi(deps: { controller: CanaryController; metrics: MeshMetricsProvider }): ApiExtension {
  return {
    mount(app) {
      app.get('/weir/v1/namespaces/:ns/canaries/:name/events', (req, res) => {
        res.json({ items: deps.controller.events.recent(req.params.ns, req.params.name) });
      });
      app.get('/weir/v1/namespaces/:ns/deployments/:name/golden', (req, res) => {
        const windowMs = Math.min(Math.max(Number(req.query.windowMs ?? 10_000) || 10_000, 1_000), 600_000);
        deps.metrics.golden({ namespace: req.params.ns, deployment: req.params.name, windowMs }).then(
          (g) => res.json(g),
          (err: unknown) => res.status(500).json({ message: err instanceof Error ? err.message : String(err) }),
        );
      });
    },
  };
}
