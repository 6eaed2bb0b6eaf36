import { Counter, Gauge, Registry } from 'prom-client';
import { processMetricsRegistry } from '../metrics-server.js';
import type { LoadTask } from './server.js';

/** finished tasks whose counts are still exported (oldest forgotten first) */
const FINISHED_KEPT = 200;

/**
 * The load tester's `/metrics`: flagger-loadtester exposes its Go process metrics; Weir's has its process
 * metrics (prom-client defaults) and, per task, the requests it sent by response status:
 *
 * - `weir_loadtester_requests_total{canary, task, kind, status}`: requests of one load task by outcome
 *   (`status` is the HTTP code, or `error` when no response came), running and recently finished tasks
 * - `weir_loadtester_tasks_started_total{kind}`, `weir_loadtester_tasks_running{kind}`
 */
export class LoadTesterMetrics {
  readonly registry: Registry;
  private readonly started: Counter;
  private readonly finished = new Map<string, LoadTask>();

  constructor(running: () => readonly LoadTask[]) {
    const registry = processMetricsRegistry();
    this.registry = registry;
    const finished = this.finished;
    new Counter({
      name: 'weir_loadtester_requests_total',
      help: 'Requests sent by a load task, by response status (error: no response)',
      labelNames: ['canary', 'task', 'kind', 'status'],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of [...finished.values(), ...running()]) {
          for (const [status, n] of Object.entries(t.stats?.statuses ?? {})) {
            this.inc({ canary: t.canary, task: t.id, kind: t.kind, status }, n);
          }
        }
      },
    });
    new Gauge({
      name: 'weir_loadtester_tasks_running',
      help: 'Load and command tasks running now',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        this.reset();
        this.set({ kind: 'load' }, 0);
        this.set({ kind: 'cmd' }, 0);
        for (const t of running()) this.inc({ kind: t.kind });
      },
    });
    this.started = new Counter({
      name: 'weir_loadtester_tasks_started_total',
      help: 'Tasks started since the load tester started',
      labelNames: ['kind'],
      registers: [registry],
    });
    this.started.inc({ kind: 'load' }, 0);
    this.started.inc({ kind: 'cmd' }, 0);
  }

  taskStarted(task: LoadTask): void {
    this.started.inc({ kind: task.kind });
  }

  /** keep a finished task's final counts (its series must not go backwards) */
  taskFinished(task: LoadTask): void {
    this.finished.delete(task.id);
    this.finished.set(task.id, task);
    while (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value!);
  }
}
