import { createHash } from 'node:crypto';
import { watch as fsWatch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import {
  formatResourceError,
  parseManifests,
  type KubeObject,
  type ResourceError,
} from '../../engine/resources/index.js';
import { isTempFile, removeTempFiles, writeFileAtomic } from './atomic.js';
import { silentLogger, type Logger } from './logger.js';
import { MemoryStore, objectKey } from './memory-store.js';
import {
  ResourceConflictError,
  ResourceNotFoundError,
  ResourceValidationError,
  type ApplyOptions,
  type ResourceStore,
  type StatusOptions,
} from './resource-store.js';

export interface LocalStoreOptions {
  /** the folder of manifests */
  dir: string;
  /** where applied objects, statuses and controller state are kept; default `<dir>/.weir` */
  stateDir?: string;
  /** follow changes to the folder (fs.watch plus a periodic rescan); default true */
  watch?: boolean;
  logger?: Logger;
  /** the periodic rescan that catches what fs.watch misses; default 1000 ms */
  rescanIntervalMs?: number;
  /** how long a burst of file events is coalesced before a rescan; default 50 ms */
  debounceMs?: number;
  clock?: () => Date;
}

/** The manager name of objects read from the folder. */
export const FILE_MANAGER = 'file';
const FILE_OWNER_PREFIX = 'file:';
const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const SKIPPED_DIRS = new Set(['node_modules']);

/** What the state dir remembers of each file: its content hash and a hash per object it last applied. */
interface FileRecord {
  hash: string;
  objects: Record<string, string>;
}

interface PersistedObject {
  owner: string;
  object: KubeObject;
}

interface SeenFile {
  sig: string;
  hash: string;
}

/**
 * The embedded default `ResourceStore`: a folder of manifests plus a state directory.
 *
 * - Each manifest file owns its objects: deleting the file deletes them, editing it re-applies the
 *   objects whose content changed and deletes those no longer in it. A file with any bad document is
 *   rejected as a whole (see `rejected()`), and its last good objects stay in force.
 * - Objects applied through the API or by controllers, and every object's status, are persisted as
 *   JSON under `<stateDir>/objects`, written atomically. On open the state is reloaded first, then the
 *   folder is read; an object from a file replaces the persisted one only if that object's content in
 *   the file changed since it was last applied (or the object is missing), so `weir apply` and
 *   controller writes survive a restart.
 * - `ephemeral` applies (Pods the runtime writes) are never persisted.
 */
export class LocalStore extends MemoryStore implements ResourceStore {
  readonly dir: string;
  readonly stateDir: string;
  private readonly logger: Logger;
  private readonly owners = new Map<string, string>();
  private readonly ephemeralKeys = new Set<string>();
  private readonly fileRecords = new Map<string, FileRecord>();
  private readonly seen = new Map<string, SeenFile>();
  private readonly fileErrors = new Map<string, ResourceError[]>();
  private readonly writeChains = new Map<string, Promise<void>>();
  private readonly lastWritten = new Map<string, string>();
  private openDurableGroup: DurableGroup | undefined;
  private readonly kv = new Map<string, unknown>();
  private readonly kvChains = new Map<string, Promise<void>>();
  private recordsChain: Promise<void> = Promise.resolve();
  private scanChain: Promise<void> = Promise.resolve();
  private scanQueued = false;
  private scanForce = false;
  private readonly fsWatchers = new Map<string, FSWatcher>();
  private debounceTimer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    dir: string,
    stateDir: string,
    logger: Logger,
    private readonly opts: LocalStoreOptions,
  ) {
    super(opts.clock);
    this.dir = dir;
    this.stateDir = stateDir;
    this.logger = logger;
  }

  static async open(options: LocalStoreOptions): Promise<LocalStore> {
    const dir = resolve(options.dir);
    const stateDir = resolve(dir, options.stateDir ?? '.weir');
    const store = new LocalStore(dir, stateDir, options.logger ?? silentLogger, options);
    await store.start(options.watch ?? true);
    return store;
  }

  // ---- ResourceStore -------------------------------------------------------------------------

  override async apply<T extends KubeObject = KubeObject>(object: KubeObject, options: ApplyOptions = {}): Promise<T> {
    const stored = this.applySync(object, options);
    const key = keyOf(stored);
    if (this.objects.get(key) !== stored) {
      // a write that removed the last finalizer of an object being deleted: it is gone
      await this.forget(key);
      return stored as T;
    }
    // an object the runtime derives (a Pod) stays ephemeral when someone else writes it (kubectl label pod)
    if (options.ephemeral ?? this.ephemeralKeys.has(key)) {
      this.ephemeralKeys.add(key);
      if (this.lastWritten.has(key)) await this.persist(key);
      return stored as T;
    }
    this.ephemeralKeys.delete(key);
    const manager = options.manager ?? 'user';
    // a file keeps owning its objects when someone else writes them: deleting the file still deletes them
    if (!this.owners.get(key)?.startsWith(FILE_OWNER_PREFIX)) this.owners.set(key, manager);
    await this.persist(key);
    return stored as T;
  }

  override async patchStatus<T extends KubeObject = KubeObject>(
    kind: string,
    namespace: string,
    name: string,
    status: unknown,
    options: StatusOptions = {},
  ): Promise<T> {
    const key = objectKey(kind, namespace, name);
    if (options.durable === true && !this.ephemeralKeys.has(key)) return this.patchStatusDurably(key, status, options);
    const stored = this.patchStatusSync(kind, namespace, name, status, options);
    if (!this.ephemeralKeys.has(key)) await this.persist(key);
    return stored as T;
  }

  /**
   * The file first, then the object readers see: a status is never seen by the API or a watcher and then lost
   * by a crash (a restarted controller would take the step again). The statuses of one synchronous run of
   * calls (a release's members, rollouts/controller.ts) are written together and become visible together.
   */
  private async patchStatusDurably<T extends KubeObject>(
    key: string,
    status: unknown,
    options: StatusOptions,
  ): Promise<T> {
    const [kind, namespace, name] = splitKey(key);
    const prev = this.objects.get(key);
    if (!prev) throw new ResourceNotFoundError(kind, namespace, name);
    if (options.resourceVersion !== undefined && prev.metadata.resourceVersion !== options.resourceVersion)
      throw new ResourceConflictError(kind, namespace, name);
    const group = this.durableGroup();
    const written = this.persist(key, { ...prev, status: structuredClone(status) });
    group.writes.push(written);
    await group.settled;
    await written; // this one's failure is this call's: nothing was made visible
    try {
      return this.patchStatusSync(kind, namespace, name, status, options) as T;
    } finally {
      // the object changed meanwhile (another write: its spec, or a conflict): the file follows what readers see
      void this.persist(key).catch(() => undefined);
    }
  }

  /** the durable status writes started in this synchronous run: they settle, then all become visible */
  private durableGroup(): DurableGroup {
    if (this.openDurableGroup) return this.openDurableGroup;
    const writes: Array<Promise<void>> = [];
    const group: DurableGroup = {
      writes,
      // sealed at the end of this synchronous run: later calls start a group of their own
      settled: Promise.resolve().then(() => {
        if (this.openDurableGroup === group) this.openDurableGroup = undefined;
        return Promise.allSettled(writes);
      }),
    };
    this.openDurableGroup = group;
    return group;
  }

  override async delete(kind: string, namespace: string, name: string, options: StatusOptions = {}): Promise<boolean> {
    const key = objectKey(kind, namespace, name);
    const deleted = this.deleteSync(kind, namespace, name, options);
    if (deleted === 'gone') await this.forget(key);
    // held by finalizers: its deletionTimestamp is state to keep
    else if (deleted === 'terminating' && !this.ephemeralKeys.has(key)) await this.persist(key);
    return deleted !== false;
  }

  // ---- controllers' own state ----------------------------------------------------------------

  /** a value a controller stored with `setState`, kept across restarts */
  getState<T = unknown>(key: string): T | undefined {
    const v = this.kv.get(key);
    return v === undefined ? undefined : (structuredClone(v) as T);
  }

  /** store (or with `undefined`, remove) a JSON value under `<stateDir>/kv`, atomically */
  async setState(key: string, value: unknown): Promise<void> {
    if (key === '') throw new Error('state key must not be empty');
    if (value === undefined) this.kv.delete(key);
    else this.kv.set(key, structuredClone(value));
    const path = join(this.stateDir, 'kv', `${encodeURIComponent(key)}.json`);
    const prev = this.kvChains.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      const current = this.kv.get(key);
      if (current === undefined) await rm(path, { force: true });
      else await writeFileAtomic(path, JSON.stringify(current, null, 2) + '\n');
    });
    this.kvChains.set(key, next);
    return next;
  }

  // ---- introspection -------------------------------------------------------------------------

  /** who last owns an object: `file:<path>` for a manifest, else the manager that applied it */
  ownerOf(kind: string, namespace: string, name: string): string | undefined {
    return this.owners.get(objectKey(kind, namespace, name));
  }

  /** manifest files currently read from the folder (relative, `/`-separated) */
  files(): string[] {
    return [...this.seen.keys()].sort();
  }

  /** read the folder now (also what the watcher does); resolves when the changes are applied */
  rescan(): Promise<void> {
    return this.requestScan(true);
  }

  /** stop watching and wait for every pending write */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.debounceTimer);
    clearInterval(this.rescanTimer);
    for (const w of this.fsWatchers.values()) w.close();
    this.fsWatchers.clear();
    await this.scanChain;
    await this.flush();
  }

  /** wait until everything written so far is on disk */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writeChains.values(), ...this.kvChains.values(), this.recordsChain]);
  }

  // ---- start-up ------------------------------------------------------------------------------

  private async start(watch: boolean): Promise<void> {
    const st = await stat(this.dir).catch(() => undefined);
    if (!st?.isDirectory()) throw new Error(`manifests folder ${this.dir} does not exist or is not a directory`);
    await mkdir(this.stateDir, { recursive: true });
    const removed = await removeTempFiles(this.stateDir);
    if (removed > 0) this.logger.warn(`removed ${removed} temporary file(s) left by an interrupted write`);
    await this.loadRecords();
    await this.loadObjects();
    await this.loadKv();
    await this.scan(true);
    // objects of files that no longer exist (or that a crash left without a record) go away
    for (const [key, owner] of [...this.owners]) {
      if (!owner.startsWith(FILE_OWNER_PREFIX)) continue;
      const file = owner.slice(FILE_OWNER_PREFIX.length);
      if (this.seen.has(file)) continue;
      const [kind, namespace, name] = splitKey(key);
      if (this.deleteSync(kind, namespace, name)) await this.forget(key);
    }
    await this.writeRecords();
    if (watch) this.startWatching();
  }

  private async loadRecords(): Promise<void> {
    const path = join(this.stateDir, 'files.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      return;
    }
    try {
      const data = JSON.parse(text) as Record<string, FileRecord>;
      for (const [file, rec] of Object.entries(data)) {
        if (typeof rec?.hash === 'string' && rec.objects && typeof rec.objects === 'object') {
          this.fileRecords.set(file, { hash: rec.hash, objects: { ...rec.objects } });
        }
      }
    } catch (err) {
      this.logger.warn(`ignoring unreadable file records ${path}: ${String(err)}`);
    }
  }

  private async loadObjects(): Promise<void> {
    const root = join(this.stateDir, 'objects');
    for (const path of await listFiles(root)) {
      if (!path.endsWith('.json') || isTempFile(path)) continue;
      let rec: PersistedObject;
      let text: string;
      try {
        text = await readFile(path, 'utf8');
        rec = JSON.parse(text) as PersistedObject;
      } catch (err) {
        this.logger.warn(`ignoring unreadable state file ${path}: ${String(err)}`);
        continue;
      }
      try {
        const generation = rec.object.metadata?.generation;
        const stored = this.applySync(rec.object, { manager: rec.owner });
        if (typeof generation === 'number') stored.metadata.generation = generation;
        // an object held by finalizers stays being deleted across a restart
        const deleting = rec.object.metadata?.deletionTimestamp;
        if (typeof deleting === 'string' && stored.metadata.finalizers?.length)
          stored.metadata.deletionTimestamp = deleting;
        const key = keyOf(stored);
        this.owners.set(key, typeof rec.owner === 'string' ? rec.owner : 'user');
        this.lastWritten.set(key, text);
        // a file whose name no longer matches its object would otherwise linger
        if (resolve(path) !== this.objectPath(key)) await rm(path, { force: true });
      } catch (err) {
        const detail =
          err instanceof ResourceValidationError ? err.errors.map(formatResourceError).join('; ') : String(err);
        this.logger.warn(`ignoring persisted object that no longer validates ${path}: ${detail}`);
      }
    }
  }

  private async loadKv(): Promise<void> {
    const root = join(this.stateDir, 'kv');
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith('.json') || isTempFile(name)) continue;
      try {
        const value: unknown = JSON.parse(await readFile(join(root, name), 'utf8'));
        this.kv.set(decodeURIComponent(name.slice(0, -'.json'.length)), value);
      } catch (err) {
        this.logger.warn(`ignoring unreadable state value ${name}: ${String(err)}`);
      }
    }
  }

  // ---- reading the folder --------------------------------------------------------------------

  private requestScan(force: boolean): Promise<void> {
    this.scanForce ||= force;
    if (this.scanQueued) return this.scanChain;
    this.scanQueued = true;
    this.scanChain = this.scanChain.then(async () => {
      this.scanQueued = false;
      const f = this.scanForce;
      this.scanForce = false;
      if (this.closed) return;
      try {
        await this.scan(f);
      } catch (err) {
        this.logger.error(`reading the manifests folder failed: ${String(err)}`);
      }
    });
    return this.scanChain;
  }

  /** read changed files (all of them when `force`), apply them, and drop the objects of deleted files */
  private async scan(force: boolean): Promise<void> {
    const found = await this.walk(this.dir);
    const changed: { file: string; text: string; hash: string }[] = [];
    const present = new Set<string>();
    for (const abs of found) {
      const file = relative(this.dir, abs).split(sep).join('/');
      let st;
      try {
        st = await stat(abs);
      } catch {
        continue; // vanished between listing and stat
      }
      present.add(file);
      const sig = `${st.mtimeMs}:${st.ctimeMs}:${st.size}:${st.ino}`;
      const prev = this.seen.get(file);
      if (!force && prev?.sig === sig) continue;
      let text: string;
      try {
        text = await readFile(abs, 'utf8');
      } catch (err) {
        // gone: handled as a deletion below; unreadable: keep what it last said
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') present.delete(file);
        continue;
      }
      const hash = sha256(text);
      this.seen.set(file, { sig, hash });
      if (prev?.hash === hash) continue;
      changed.push({ file, text, hash });
    }
    const removed = [...this.seen.keys()].filter((f) => !present.has(f));

    // from here on everything is synchronous: the index changes in one step per file
    const touched = new Set<string>();
    const stale: [string, string][] = [];
    let recordsChanged = false;
    for (const { file, text, hash } of changed.sort((a, b) => a.file.localeCompare(b.file))) {
      const result = parseManifests(text, file);
      if (result.errors.length > 0) {
        this.fileErrors.set(file, result.errors);
        for (const e of result.errors) this.logger.warn(`rejected ${formatResourceError(e)}`);
        continue;
      }
      if (this.fileErrors.delete(file)) this.logger.info(`${file} is valid again`);
      for (const w of result.warnings) this.logger.warn(`${file}: ${w}`);
      this.syncFile(file, hash, result.objects, touched, stale);
      recordsChanged = true;
    }
    for (const file of removed) {
      this.seen.delete(file);
      this.fileErrors.delete(file);
      this.removeFile(file, touched);
      recordsChanged = true;
    }
    // deletions last, so an object that moved from one file to another in this pass survives
    for (const [key, owner] of stale) {
      if (this.owners.get(key) !== owner) continue;
      const [kind, namespace, name] = splitKey(key);
      this.deleteSync(kind, namespace, name);
      this.owners.delete(key);
      touched.add(key);
    }
    this.rejections = [...this.fileErrors.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .flatMap(([, errors]) => errors);

    // persist objects first, then the records that say they were applied
    await Promise.all([...touched].map((k) => this.persist(k)));
    if (recordsChanged) await this.writeRecords();
    if (this.fsWatchers.size > 0 && !useNativeRecursiveWatch()) this.refreshDirWatchers();
  }

  private syncFile(
    file: string,
    hash: string,
    objects: KubeObject[],
    touched: Set<string>,
    stale: [string, string][],
  ): void {
    const owner = FILE_OWNER_PREFIX + file;
    const prev = this.fileRecords.get(file);
    const next: FileRecord = { hash, objects: {} };
    for (const raw of objects) {
      const { status: _status, ...object } = raw; // status is the store's, never the file's
      const key = keyOf(object);
      const objHash = sha256(canonicalJson(object));
      next.objects[key] = objHash;
      const unchanged = prev?.objects[key] === objHash && this.objects.has(key);
      if (unchanged) {
        if (!this.owners.has(key)) this.owners.set(key, owner);
        continue;
      }
      try {
        this.applySync(object, { manager: FILE_MANAGER });
      } catch (err) {
        this.logger.error(`${file}: applying ${key} failed: ${String(err)}`);
        continue;
      }
      this.owners.set(key, owner);
      this.ephemeralKeys.delete(key);
      touched.add(key);
    }
    for (const key of Object.keys(prev?.objects ?? {})) if (!(key in next.objects)) stale.push([key, owner]);
    this.fileRecords.set(file, next);
  }

  private removeFile(file: string, touched: Set<string>): void {
    const owner = FILE_OWNER_PREFIX + file;
    const prev = this.fileRecords.get(file);
    this.fileRecords.delete(file);
    const keys = new Set(Object.keys(prev?.objects ?? {}));
    for (const [key, o] of this.owners) if (o === owner) keys.add(key);
    for (const key of keys) {
      if (this.owners.get(key) !== owner) continue;
      const [kind, namespace, name] = splitKey(key);
      this.deleteSync(kind, namespace, name);
      this.owners.delete(key);
      touched.add(key);
    }
  }

  private async walk(dir: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const abs = join(dir, e.name);
      if (abs === this.stateDir) continue;
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = await stat(abs);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue;
        }
      }
      if (isDir) {
        if (!SKIPPED_DIRS.has(e.name)) out.push(...(await this.walk(abs)));
      } else if (isFile && MANIFEST_EXTENSIONS.has(extname(e.name).toLowerCase())) out.push(abs);
    }
    return out;
  }

  // ---- watching ------------------------------------------------------------------------------

  private startWatching(): void {
    const interval = this.opts.rescanIntervalMs ?? 1000;
    this.rescanTimer = setInterval(() => void this.requestScan(false), interval);
    this.rescanTimer.unref();
    if (useNativeRecursiveWatch()) this.watchDir(this.dir, true);
    else {
      this.watchDir(this.dir, false);
      void this.walkDirs(this.dir).then((dirs) => {
        if (!this.closed) for (const d of dirs) this.watchDir(d, false);
      });
    }
  }

  private onFsEvent(dir: string, filename: string | Buffer | null): void {
    if (filename !== null) {
      const abs = resolve(dir, filename.toString());
      const rel = relative(this.dir, abs);
      if (abs === this.stateDir || abs.startsWith(this.stateDir + sep)) return;
      if (rel.split(sep).some((part) => part.startsWith('.') && part !== '..')) return;
    }
    clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => void this.requestScan(true), this.opts.debounceMs ?? 50);
    this.debounceTimer.unref();
  }

  private watchDir(dir: string, recursive: boolean): void {
    if (this.closed || this.fsWatchers.has(dir)) return;
    try {
      const w = fsWatch(dir, { recursive, persistent: false }, (_event, filename) => this.onFsEvent(dir, filename));
      w.on('error', () => {
        w.close();
        this.fsWatchers.delete(dir);
      });
      this.fsWatchers.set(dir, w);
    } catch (err) {
      // unsupported or vanished: the periodic rescan still notices every change
      this.logger.debug(`cannot watch ${dir}: ${String(err)}`);
    }
  }

  /** without native recursive watching, keep one watcher per directory of the folder */
  private refreshDirWatchers(): void {
    void this.walkDirs(this.dir).then((dirs) => {
      if (this.closed) return;
      const wanted = new Set([this.dir, ...dirs]);
      for (const d of wanted) this.watchDir(d, false);
      for (const [d, w] of this.fsWatchers) {
        if (!wanted.has(d)) {
          w.close();
          this.fsWatchers.delete(d);
        }
      }
    });
  }

  private async walkDirs(dir: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const e of entries) {
      if (!e.isDirectory() || e.name.startsWith('.') || SKIPPED_DIRS.has(e.name)) continue;
      const abs = join(dir, e.name);
      if (abs === this.stateDir) continue;
      out.push(abs, ...(await this.walkDirs(abs)));
    }
    return out;
  }

  // ---- persistence ---------------------------------------------------------------------------

  private objectPath(key: string): string {
    const [kind, namespace, name] = splitKey(key);
    return join(this.stateDir, 'objects', kind, namespace, `${name}.json`);
  }

  /**
   * write the current in-memory version of `key` (or remove its file), or `candidate`, a version not visible
   * yet; writes of one key never reorder
   */
  private persist(key: string, candidate?: KubeObject): Promise<void> {
    const prev = this.writeChains.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.writeObject(key, candidate));
    const guarded = next.catch((err: unknown) => {
      this.logger.error(`persisting ${key} failed: ${String(err)}`);
    });
    this.writeChains.set(key, guarded);
    void guarded.then(() => {
      if (this.writeChains.get(key) === guarded) this.writeChains.delete(key);
    });
    return next;
  }

  private async writeObject(key: string, candidate?: KubeObject): Promise<void> {
    const obj = candidate ?? this.objects.get(key);
    const path = this.objectPath(key);
    if (!obj || this.ephemeralKeys.has(key)) {
      if (this.lastWritten.delete(key)) await rm(path, { force: true });
      return;
    }
    const { resourceVersion: _rv, ...metadata } = obj.metadata;
    const rec: PersistedObject = { owner: this.owners.get(key) ?? 'user', object: { ...obj, metadata } };
    const text = JSON.stringify(rec, null, 2) + '\n';
    if (this.lastWritten.get(key) === text) return;
    await writeFileAtomic(path, text);
    this.lastWritten.set(key, text);
  }

  private async forget(key: string): Promise<void> {
    this.owners.delete(key);
    this.ephemeralKeys.delete(key);
    await this.persist(key);
  }

  private writeRecords(): Promise<void> {
    const next = this.recordsChain.then(async () => {
      const data: Record<string, FileRecord> = {};
      for (const file of [...this.fileRecords.keys()].sort()) data[file] = this.fileRecords.get(file)!;
      await writeFileAtomic(join(this.stateDir, 'files.json'), JSON.stringify(data, null, 2) + '\n');
    });
    this.recordsChain = next.catch((err: unknown) => {
      this.logger.error(`persisting file records failed: ${String(err)}`);
    });
    return next;
  }
}

/** durable status writes started in one synchronous run (`patchStatus` with `durable`) */
interface DurableGroup {
  writes: Array<Promise<void>>;
  /** all of them settled: then each becomes visible */
  settled: Promise<unknown>;
}

function keyOf(o: KubeObject): string {
  return objectKey(o.kind, o.metadata.namespace, o.metadata.name);
}

function splitKey(key: string): [string, string, string] {
  const [kind = '', namespace = '', name = ''] = key.split('/');
  return [kind, namespace, name];
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** JSON with object keys sorted, so equal objects hash equal whatever their key order */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

function useNativeRecursiveWatch(): boolean {
  // Linux's recursive fs.watch in Node 20 is emulated (it polls files); one watcher per directory is cheaper
  return process.platform === 'darwin' || process.platform === 'win32';
}

async function listFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(abs)));
    else if (e.isFile()) out.push(abs);
  }
  return out;
}
