import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { formatResourceError, kinds, parseManifests } from '../../../engine/resources/index.js';
import { DELETE, mutatedManifest, pathText, validManifestOf } from './manifest-mutation.js';

const RUNS = Number(process.env.WEIR_MANIFEST_RUNS ?? 400);
const SEED = Number(process.env.WEIR_FUZZ_SEED ?? Date.now() % 100_000);

describe(`malformed manifests of every kind (fast-check, seed ${SEED})`, () => {
  it('the seeds: a valid manifest of every kind of the registry is accepted', () => {
    for (const kind of Object.keys(kinds)) {
      const r = parseManifests(stringify(validManifestOf(kind)), `${kind}.yaml`);
      expect(r.errors.map(formatResourceError), kind).toEqual([]);
      expect(r.objects).toHaveLength(1);
    }
  });

  it(`${RUNS} mutated manifests (a field of a wrong type or value, or missing): accepted, or rejected naming the file and the field path`, () => {
    let rejected = 0;
    fc.assert(
      fc.property(mutatedManifest, (m) => {
        const r = parseManifests(stringify(m.object), 'm.yaml');
        if (r.errors.length === 0) {
          expect(r.objects).toHaveLength(1); // harmless mutation (an optional field, a free-form value)
          return;
        }
        rejected++;
        expect(r.objects).toHaveLength(0);
        const where = pathText(m.path);
        for (const e of r.errors) {
          expect(e.file).toBe('m.yaml');
          expect(formatResourceError(e).startsWith('m.yaml[1]')).toBe(true);
          expect(e.message.length).toBeGreaterThan(0);
          // one readable line: long values are cut by describeValue; a few cross-field rules still quote
          // the value whole, so the bound allows for it
          const quoted = typeof m.value === 'string' ? m.value.length : 0;
          expect(e.message.length, e.message.slice(0, 300)).toBeLessThan(1_000 + quoted);
        }
        // at least one error points at the mutated field, its parent (a missing field, a cross-field
        // rule), or into the value put there
        // (or, for a cross-field rule such as "a template's labels must match the selector" or "identities
        // or identityRefs", a field of the same top-level section)
        const top = (p: string) => p.split(/[.[]/)[0];
        const related = r.errors.some(
          (e) => e.path === '' || where.startsWith(e.path) || e.path.startsWith(where) || top(e.path) === top(where),
        );
        if (!related)
          throw new Error(
            `${m.kind} ${where} = ${m.value === DELETE ? '(deleted)' : JSON.stringify(m.value)?.slice(0, 40)}: ${r.errors.map(formatResourceError).join('; ')}`,
          );
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(rejected).toBeGreaterThan(RUNS / 4);
  }, 600_000);
});
