import { describe, expect, it } from 'vitest';
import { runWeir } from '../support/weir-process.js';

// The README's demo, as a new user runs it: real processes, real proxies, real metrics.
describe('weir demo (promotion and rollback end to end)', () => {
  it('promotes v2 step by step and rolls back the faulty v3 on its success rate', async () => {
    const r = await runWeir(['demo'], { WEIR_LOG_LEVEL: 'silent' }, 170_000);
    const out = r.stdout;
    expect(r.code, `${out}\n${r.stderr}`).toBe(0);
    // v2: every step of the ladder seen, then Succeeded
    expect(out).toMatch(/v2\.0\.0: Succeeded after [\d.]+s; canary weights 10, 20, 30, 40, 50;/);
    expect(out).toContain('Advance podinfo.test canary weight 50');
    expect(out).toContain('Promotion completed! Scaling down podinfo.test');
    // v3: Failed, rolled back for its success rate
    expect(out).toMatch(/v3\.0\.0: Failed after [\d.]+s/);
    expect(out).toMatch(/Halt podinfo\.test advancement success rate [\d.]+% < 99%/);
    expect(out).toContain('Rolling back podinfo.test failed checks threshold reached');
    expect(out).toContain('OK: v2 promoted, v3 rolled back');
  }, 180_000);
});
