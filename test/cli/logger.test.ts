import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logDestination, logFormat } from '../../cli/logger.js';

function capture(): Writable & { lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  return Object.assign(stream, { lines });
}

describe('the logs of weir up', () => {
  it('are JSON lines off a terminal and readable on one, unless WEIR_LOG_FORMAT says otherwise', () => {
    expect(logFormat({}, false)).toBe('json');
    expect(logFormat({}, true)).toBe('pretty');
    expect(logFormat({ WEIR_LOG_FORMAT: 'json' }, true)).toBe('json');
    expect(logFormat({ WEIR_LOG_FORMAT: 'pretty' }, false)).toBe('pretty');
  });

  it('carry the component and the structured fields (namespace, canary, pod) as JSON fields', () => {
    const out = capture();
    const log = createLogger('info', logDestination('json', false, out)).child('controller');
    log.warn('canary test/podinfo: Halt advancement', { namespace: 'test', canary: 'podinfo' });
    log.child('runtime', { namespace: 'test' }).info('starting test/podinfo-1', { pod: 'podinfo-1' });
    log.debug('below the level');
    const [first, second] = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.lines).toHaveLength(2);
    expect(first).toMatchObject({
      level: 40,
      component: 'controller',
      namespace: 'test',
      canary: 'podinfo',
      msg: 'canary test/podinfo: Halt advancement',
    });
    expect(typeof first!.time).toBe('number');
    expect(second).toMatchObject({ level: 30, component: 'runtime', namespace: 'test', pod: 'podinfo-1' });
  });

  it('on a terminal, read as one line per message with its time, level, message and fields', () => {
    const out = capture();
    const log = createLogger('info', logDestination('pretty', false, out)).child('controller');
    log.warn('canary test/podinfo: Halt advancement', { namespace: 'test', canary: 'podinfo' });
    const text = out.lines.join('\n');
    expect(out.lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: canary test\/podinfo: Halt advancement$/);
    expect(text).toContain('component: "controller"');
    expect(text).toContain('canary: "podinfo"');
    expect(text).not.toContain('{"level"');
  });
});
