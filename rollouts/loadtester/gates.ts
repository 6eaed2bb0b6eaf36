import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The load tester's gates (flagger-loadtester `gate.go`): a boolean per key, closed until opened, never
 * closed by a run. Keys are Flagger's: `<name>.<namespace>` for `/gate/*`, `rollback.<name>.<namespace>`
 * for `/rollback/*`.
 *
 * Weir difference: the state survives a restart (Flagger keeps it in memory) through a `GatePersistence`:
 * the store's state (`weir up`: the state directory) or a JSON file (`weir loadtester --state-file`).
 */
export interface GatePersistence {
  load(): Promise<Record<string, boolean>>;
  save(gates: Record<string, boolean>): Promise<void>;
}

/** what `LocalStore` offers for controllers' own state (`getState`/`setState`) */
export interface KeyValueState {
  getState<T = unknown>(key: string): T | undefined;
  setState(key: string, value: unknown): Promise<void>;
}

export const GATES_STATE_KEY = 'loadtester/gates';

export function kvGatePersistence(kv: KeyValueState, key = GATES_STATE_KEY): GatePersistence {
  return {
    load: async () => ({ ...(kv.getState<Record<string, boolean>>(key) ?? {}) }),
    save: (gates) => kv.setState(key, gates),
  };
}

/** a JSON file, replaced atomically (write then rename) */
export function fileGatePersistence(path: string): GatePersistence {
  return {
    async load() {
      try {
        const v = JSON.parse(await readFile(path, 'utf8')) as unknown;
        return v && typeof v === 'object' ? (v as Record<string, boolean>) : {};
      } catch {
        return {};
      }
    },
    async save(gates) {
      await mkdir(dirname(path), { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(gates, null, 2) + '\n');
      await rename(tmp, path);
    },
  };
}

export const gateKey = (name: string, namespace: string): string => `${name}.${namespace}`;
export const rollbackKey = (name: string, namespace: string): string => `rollback.${name}.${namespace}`;

export class GateStore {
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly gates: Map<string, boolean>,
    private readonly persistence: GatePersistence | undefined,
  ) {}

  static async open(persistence?: GatePersistence): Promise<GateStore> {
    const loaded = persistence ? await persistence.load() : {};
    const gates = new Map<string, boolean>();
    for (const [k, v] of Object.entries(loaded)) if (typeof v === 'boolean') gates.set(k, v);
    return new GateStore(gates, persistence);
  }

  /** a gate never set is closed */
  isOpen(key: string): boolean {
    return this.gates.get(key) === true;
  }

  /** set a gate; resolves once the state is persisted */
  set(key: string, open: boolean): Promise<void> {
    this.gates.set(key, open);
    const snapshot = this.snapshot();
    const p = this.persistence;
    this.saving = this.saving.then(
      () => p?.save(snapshot),
      () => p?.save(snapshot),
    );
    return this.saving;
  }

  snapshot(): Record<string, boolean> {
    return Object.fromEntries([...this.gates].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** wait for pending saves */
  async flush(): Promise<void> {
    await this.saving.catch(() => undefined);
  }
}
