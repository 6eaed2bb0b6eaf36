import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { kinds } from '../../engine/resources/index.js';
import { generatedPart, generatedReference, RESOURCE_DOC } from '../../scripts/resource-reference.js';

describe('docs/resources.md', () => {
  it('lists the fields the schemas accept, as they are now (else: npm run docs:resources)', async () => {
    const part = generatedPart(await readFile(RESOURCE_DOC, 'utf8'));
    expect(part, 'the generated markers are missing').toBeDefined();
    expect(part, 'docs/resources.md differs from the schemas: run `npm run docs:resources`').toBe(generatedReference());
  });

  it('has a section for every kind Weir acts on, with the fields a Canary is written with', () => {
    const text = generatedReference();
    for (const k of Object.values(kinds).filter((k) => k.interpreted)) expect(text).toContain(`### ${k.kind}\n`);
    for (const field of [
      'spec.analysis.interval: string',
      'spec.analysis.stepWeight:',
      'spec.analysis.webhooks[].type:',
      'spec.service.gatewayRefs[].name: string (required)',
    ])
      expect(text).toContain(field);
  });
});
