import { watch, watchFile, unwatchFile, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { ConfigSource, MeshSnapshot } from '../../engine/mesh/snapshot.js';
import type { KubeObject } from '../../engine/resources/index.js';
import { MemoryStore, objectKey } from '../store/memory-store.js';
import { parseMeshFile } from './mesh-file.js';
import { createDiscovery, DISCOVERY_KINDS, type StoreConfigSource } from './store-config-source.js';

/** The outcome of one read of the file. */
export type FileReload =
  | { ok: true; file: string; version: number; objects: number; warnings: string[] }
  | { ok: false; file: string; version: number; errors: string[]; warnings: string[] };

export interface FileConfigSourceOptions {
  /** follow changes to the file (default true) */
  watch?: boolean;
  /** a burst of file events is read once, this long after the first (default 50 ms) */
  debounceMs?: number;
  /** the stat poll that catches what fs.watch misses (default 1000 ms) */
  pollMs?: number;
  /** every read after the first that found new text: applied, or refused with the running config kept */
  onReload?: (result: FileReload) => void;
}

/** The first read of the file was refused: nothing to run with. */
export class MeshFileError extends Error {
  constructor(
    readonly errors: string[],
    readonly warnings: string[],
  ) {
    super(errors.join('\n'));
    this.name = 'MeshFileError';
  }
}

/**
 * A `ConfigSource` read from a file of manifests (Service, EndpointSlice, HTTPRoute, GRPCRoute), for a
 * proxy that runs without a control plane. The file fills an in-memory store and the snapshot comes
 * from the same discovery as `weir up`'s (`createDiscovery`), so routing, EndpointSlice port matching
 * and loopback cluster IPs are the same everywhere.
 *
 * The file is watched: a change is read whole and applied whole; a file with any bad document is
 * refused (with file, document and field path) and the snapshot in force stays.
 */
export class FileConfigSource implements ConfigSource {
  private readonly store = new MemoryStore();
  private readonly discovery: StoreConfigSource;
  private lastText: string | undefined;
  private chain: Promise<FileReload | undefined> = Promise.resolve(undefined);
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** set once open() has read the file: from then on every new text is reported */
  private opened = false;
  readonly file: string;
  /** the first read, which open() applied (its warnings are the caller's to show) */
  initial!: FileReload;

  private constructor(
    file: string,
    private readonly options: FileConfigSourceOptions,
  ) {
    this.file = resolve(file);
    this.discovery = createDiscovery(this.store, { debounceMs: 0 });
  }

  /** Read the file and start watching it; throws a `MeshFileError` when the file is refused. */
  static async open(file: string, options: FileConfigSourceOptions = {}): Promise<FileConfigSource> {
    const source = new FileConfigSource(file, options);
    const first = await source.reload();
    if (!first.ok) {
      source.close();
      throw new MeshFileError(first.errors, first.warnings);
    }
    source.initial = first;
    source.opened = true;
    if (options.watch !== false) source.startWatching();
    return source;
  }

  current(): MeshSnapshot {
    return this.discovery.current();
  }

  subscribe(listener: (snapshot: MeshSnapshot) => void): () => void {
    return this.discovery.subscribe(listener);
  }

  /**
   * Read the file now and apply it if it changed since the last read (what the watcher does). Reads
   * run one at a time; the result of a read that found the same text as the last one is not reported.
   */
  reload(): Promise<FileReload> {
    const next = this.chain.then(() => this.readOnce());
    this.chain = next.then(
      (r) => r,
      () => undefined,
    );
    return next;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    unwatchFile(this.file);
    this.discovery.close();
  }

  private async readOnce(): Promise<FileReload> {
    const version = this.discovery.current().version;
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      const result: FileReload = {
        ok: false,
        file: this.file,
        version,
        errors: [`${this.file}: cannot read: ${code}`],
        warnings: [],
      };
      // a missing file is reported once, until it has content again
      if (this.lastText !== '\0missing') this.report(result);
      this.lastText = '\0missing';
      return result;
    }
    const changed = text !== this.lastText;
    this.lastText = text;
    const parsed = parseMeshFile(text, this.file);
    if (!parsed.ok) {
      const result: FileReload = {
        ok: false,
        file: this.file,
        version,
        errors: parsed.errors,
        warnings: parsed.warnings,
      };
      if (changed) this.report(result);
      return result;
    }
    await this.replaceAll(parsed.objects);
    const snapshot = this.discovery.refresh();
    const result: FileReload = {
      ok: true,
      file: this.file,
      version: snapshot.version,
      objects: parsed.objects.length,
      warnings: parsed.warnings,
    };
    if (changed) this.report(result);
    return result;
  }

  /** the store holds exactly the file's objects afterwards */
  private async replaceAll(objects: KubeObject[]): Promise<void> {
    const keep = new Set<string>();
    for (const o of objects) {
      keep.add(objectKey(o.kind, o.metadata.namespace, o.metadata.name));
      const prev = this.store.get(o.kind, o.metadata.namespace, o.metadata.name);
      if (prev === undefined || !sameContent(prev, o)) await this.store.apply(o, { manager: 'file' });
    }
    for (const kind of DISCOVERY_KINDS) {
      for (const o of this.store.list(kind)) {
        if (!keep.has(objectKey(o.kind, o.metadata.namespace, o.metadata.name)))
          await this.store.delete(o.kind, o.metadata.namespace, o.metadata.name);
      }
    }
  }

  private report(result: FileReload): void {
    // the first read is the caller's to report (open() resolves or throws with it)
    if (this.opened) this.options.onReload?.(result);
  }

  private startWatching(): void {
    const kick = () => this.schedule();
    try {
      // the folder, not the file: editors and ConfigMap volumes replace files by renaming over them
      this.watcher = watch(dirname(this.file), (_event, name) => {
        if (name === null || name === basename(this.file) || name.startsWith('..')) kick();
      });
      this.watcher.on('error', () => undefined);
    } catch {
      this.watcher = undefined;
    }
    watchFile(this.file, { interval: this.options.pollMs ?? 1000, persistent: false }, kick);
  }

  private schedule(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) void this.reload();
    }, this.options.debounceMs ?? 50);
  }
}

/** the store stamps metadata (uid, resourceVersion, ...): compare what the file says */
function sameContent(stored: KubeObject, next: KubeObject): boolean {
  const strip = (o: KubeObject) => {
    const m = o.metadata as Record<string, unknown>;
    const { uid: _u, resourceVersion: _r, generation: _g, creationTimestamp: _c, ...rest } = m;
    return JSON.stringify({ ...o, metadata: rest });
  };
  return strip(stored) === strip(next);
}
