import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStore } from '../../../controlplane/store/local-store.js';
import { silentLogger } from '../../../engine/logger.js';
import { formatResourceError, kinds, parseManifests, type KubeObject } from '../../../engine/resources/index.js';
import { tempDir, waitFor } from '../../controlplane/helpers.js';
import { mutatedManifest, validManifestOf } from './manifest-mutation.js';

const RUNS = Number(process.env.WEIR_MANIFEST_STORE_RUNS ?? 12);
const SEED = Number(process.env.WEIR_FUZZ_SEED ?? Date.now() % 100_000);
/** kinds a folder of manifests holds and the store serves back (Events are the controller's own) */
const KINDS = Object.keys(kinds).filter((k) => k !== 'Event');

describe(`a watched folder (weir up's local store) given malformed manifests (fast-check, seed ${SEED})`, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: LocalStore;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('weir-hostile-manifests-'));
    for (const kind of KINDS) await writeFile(join(dir, `${kind}.yaml`), stringify(validManifestOf(kind)));
    store = await LocalStore.open({ dir, watch: true, rescanIntervalMs: 200, logger: silentLogger });
  });
  afterAll(async () => {
    await store?.close();
    await cleanup?.();
  });

  /** the object of `kind` the store serves, as the valid manifest names it */
  const served = (kind: string) => {
    const m = validManifestOf(kind) as { metadata: { name: string; namespace?: string } };
    return store.get<KubeObject>(kind, m.metadata.namespace ?? '', m.metadata.name);
  };

  it('serves every valid manifest first', () => {
    for (const kind of KINDS) expect(served(kind), kind).toBeDefined();
  });

  it(`${RUNS} rejected mutations: the store names the file and the field path, and keeps serving the last good object`, async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedManifest.filter((m) => m.kind !== 'Event' && parseManifests(stringify(m.object), 'x').errors.length > 0),
        async (m) => {
          const file = `${m.kind}.yaml`;
          const before = structuredClone(served(m.kind));
          const text = stringify(m.object);
          await writeFile(join(dir, file), text);
          // the same errors `weir validate` (parseManifests) gives for that text: one validation, at the edge
          // (waited for: a watched file may be read more than once per write)
          const expected = parseManifests(text, file).errors.map(formatResourceError);
          const mine = () => store.rejected().filter((e) => e.file === file);
          await waitFor(
            () => JSON.stringify(mine().map(formatResourceError)) === JSON.stringify(expected),
            `${file} to be rejected with ${JSON.stringify(expected)} (now ${JSON.stringify(mine().map(formatResourceError))})`,
            10_000,
          );
          for (const e of mine()) expect(formatResourceError(e).startsWith(`${file}[1]`)).toBe(true);
          // the running configuration is untouched
          expect(served(m.kind)).toEqual(before);
          // put the good file back, and see it taken again
          await writeFile(join(dir, file), stringify(validManifestOf(m.kind)));
          await waitFor(() => store.rejected().every((e) => e.file !== file), `${file} to be accepted again`, 10_000);
        },
      ),
      { numRuns: RUNS, seed: SEED },
    );
  }, 600_000);
});
