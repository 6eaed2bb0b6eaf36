/**
 * The shell steps of a Markdown document, as `test/docs/tutorials.test.ts` runs them.
 *
 * Every fenced block whose info string starts with `sh` is a step, run in document order. An HTML comment
 * right before the block (invisible on GitHub) says how, with space-separated directives:
 *
 * - `<!-- doc-test: skip -->`: not run (installation steps, what the test environment provides itself);
 * - `<!-- doc-test: background until="TEXT" -->`: a command that runs in the foreground of a terminal of
 *   its own (`weir up`): started in the background, the next step runs once its stdout shows TEXT;
 * - `<!-- doc-test: stop -->`: the reader presses Ctrl-C in that terminal: SIGINT to every background
 *   step, which must then exit 0;
 * - `exit=N`: the block must end with exit code N (default 0);
 * - `expect="TEXT"` (repeatable): the block's stdout must contain TEXT.
 *
 * Waits are `weir wait` commands in the blocks themselves, never sleeps.
 */
export interface DocStep {
  /** 1-based line of the opening fence */
  line: number;
  script: string;
  skip: boolean;
  background?: { until: string };
  stop: boolean;
  exit: number;
  expect: string[];
}

const DIRECTIVE = /<!--\s*doc-test:(.*?)-->\s*$/;
const WORD = /([a-z]+)(?:=(?:"((?:[^"\\]|\\.)*)"|(\S+)))?/g;

function parseDirectives(text: string, line: number): Omit<DocStep, 'line' | 'script'> {
  const out: Omit<DocStep, 'line' | 'script'> = { skip: false, stop: false, exit: 0, expect: [] };
  for (const m of text.matchAll(WORD)) {
    const [, key, quoted, bare] = m;
    const value = quoted !== undefined ? quoted.replace(/\\(.)/g, '$1') : bare;
    switch (key) {
      case 'skip':
        out.skip = true;
        break;
      case 'stop':
        out.stop = true;
        break;
      case 'background':
        out.background = { until: '' };
        break;
      case 'until':
        if (!out.background || value === undefined) throw new Error(`line ${line}: until= goes with background`);
        out.background.until = value;
        break;
      case 'exit':
        if (value === undefined || !/^\d+$/.test(value)) throw new Error(`line ${line}: exit= wants a number`);
        out.exit = Number(value);
        break;
      case 'expect':
        if (value === undefined) throw new Error(`line ${line}: expect= wants a value`);
        out.expect.push(value);
        break;
      default:
        throw new Error(`line ${line}: unknown doc-test directive "${key ?? ''}"`);
    }
  }
  if (out.background && out.background.until === '') throw new Error(`line ${line}: background needs until="TEXT"`);
  return out;
}

/** The steps of `markdown`: its sh blocks with their directives; a `stop` comment alone is a step too. */
export function docSteps(markdown: string): DocStep[] {
  const lines = markdown.split('\n');
  const steps: DocStep[] = [];
  let pending: { text: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const d = DIRECTIVE.exec(l.trim());
    if (d && l.trim().startsWith('<!--')) {
      const directives = parseDirectives(d[1]!, i + 1);
      if (directives.stop) steps.push({ line: i + 1, script: '', ...directives });
      else pending = { text: d[1]!, line: i + 1 };
      continue;
    }
    const fence = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(l);
    if (fence) {
      const close = fence[1]!;
      const body: string[] = [];
      let j = i + 1;
      while (j < lines.length && !lines[j]!.startsWith(close)) body.push(lines[j++]!);
      if (j >= lines.length) throw new Error(`line ${i + 1}: fenced block never closed`);
      if (fence[2] === 'sh') {
        const directives = pending ? parseDirectives(pending.text, pending.line) : parseDirectives('', i + 1);
        steps.push({ line: i + 1, script: body.join('\n'), ...directives });
      }
      pending = undefined;
      i = j;
      continue;
    }
    if (l.trim() !== '') pending = undefined;
  }
  return steps;
}
