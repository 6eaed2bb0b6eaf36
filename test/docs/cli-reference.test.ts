import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CLI_DOC, commandNames, generatedPart, generatedReference } from '../../scripts/cli-reference.js';

// needs `npm run build` (the help texts come from bin/weir.js, one process per command: slow on a loaded machine)
describe('docs/cli.md', () => {
  it("holds every command's help exactly as the CLI prints it (else: npm run docs:cli)", async () => {
    const doc = await readFile(CLI_DOC, 'utf8');
    const part = generatedPart(doc);
    expect(part, 'the generated markers are missing').toBeDefined();
    expect(part, 'docs/cli.md differs from `weir --help`: run `npm run docs:cli`').toBe(generatedReference());
  }, 300_000);

  it('gives the exit codes of every command', async () => {
    const doc = await readFile(CLI_DOC, 'utf8');
    const table = doc.slice(doc.indexOf('## Exit codes'), doc.indexOf('## Commands'));
    const documented = new Set(
      table
        .split('\n')
        .filter((l) => l.startsWith('| `'))
        .flatMap((l) => l.split('|')[1]!.split(','))
        .map((c) =>
          c
            .replace(/`/g, '')
            .replace(/^\s*weir\s+/, '')
            .trim(),
        ),
    );
    const generated = generatedPart(doc) ?? '';
    const topHelp = /```text\n([\s\S]*?)\n```/.exec(generated)?.[1] ?? '';
    const names = commandNames(topHelp);
    expect(names.length).toBeGreaterThan(10);
    expect(names.filter((n) => !documented.has(n))).toEqual([]);
  });
});
