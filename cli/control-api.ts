import type { ApiExtension } from '../controlplane/api/http-api.js';
import { requestCanaryAction, isCanaryAction } from './commands/control.js';
import type { ResourceStore } from '../controlplane/store/resource-store.js';
import type { CanaryController, MeshMetricsProvider } from '../rollouts/index.js';

/** `/weir/v1/...`: what the controller knows beyond the resources (events, golden metrics). */
export function controlApi(deps: {
  controller: CanaryController;
  metrics: MeshMetricsProvider;
  store?: ResourceStore;
}): ApiExtension {
  return {
    mount(app) {
      app.get('/weir/v1/namespaces/:ns/canaries/:name/events', (req, res) => {
        res.json({ items: deps.controller.events.recent(req.params.ns, req.params.name) });
      });
      // manual control: promote, abort, retry (annotation weir.dev/action), pause, resume (spec.suspend)
      app.post('/weir/v1/namespaces/:ns/canaries/:name/:action', (req, res) => {
        const { ns, name, action } = req.params;
        const store = deps.store;
        if (!store) {
          res.status(503).json({ message: 'manual control needs the store' });
          return;
        }
        if (!isCanaryAction(action)) {
          res.status(404).json({ message: `unknown action ${action} (want promote, abort, pause, resume, retry)` });
          return;
        }
        requestCanaryAction(store, ns, name, action, new Date()).then(
          (r) => res.status(r ? 202 : 404).json(r ?? { message: `canary ${ns}/${name} not found` }),
          (err: unknown) => res.status(500).json({ message: err instanceof Error ? err.message : String(err) }),
        );
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
