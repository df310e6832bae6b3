import { describe, expect, it } from 'vitest';
import { checkJsonValue } from '../../src/core/limits.js';
import { snapshotJson } from '../../src/core/snapshot.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

// Inputs whose size is claimed, not written: the walks must refuse them on the claim (a length or a
// key count that cannot fit the byte budget), not iterate it.
const manyKeys = (): Record<string, number> => {
  const o: Record<string, number> = {};
  for (let i = 0; i < 300_000; i++) o[`k${i}`] = 1;
  return o;
};
const hostile: [string, () => unknown][] = [
  ['a sparse array of length 2^32 - 1', () => ({ args: { a: new Array(2 ** 32 - 1) } })],
  ['a sparse array of length 2^20', () => ({ args: { a: new Array(2 ** 20) } })],
  ['a 100 MiB string', () => ({ args: { s: 'x'.repeat(100 * 1024 * 1024) } })],
  ['an object with more keys than bytes/4', () => ({ args: manyKeys() })],
];

function fast(run: () => unknown): number {
  const started = performance.now();
  run();
  return performance.now() - started;
}

describe('bounded work: a claimed size that cannot fit is refused before it is walked', () => {
  it.each(hostile)('checkJsonValue refuses %s quickly', (_name, make) => {
    const value = make();
    let violation: ReturnType<typeof checkJsonValue> = null;
    expect(fast(() => (violation = checkJsonValue(value)))).toBeLessThan(1000);
    expect(violation).toMatchObject({ message: expect.stringMatching(/bytes/) as unknown });
  }, 5000);

  it.each(hostile)('snapshotJson refuses %s quickly', (_name, make) => {
    const value = make();
    let snap: ReturnType<typeof snapshotJson> | undefined;
    expect(fast(() => (snap = snapshotJson(value)))).toBeLessThan(1000);
    expect(snap).toMatchObject({ ok: false, message: expect.stringMatching(/bytes/) as unknown });
  }, 5000);

  it.each(hostile)('the kernel refuses %s quickly, as a recorded denial', async (_name, make) => {
    const kernel = new Kernel({ policy: PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules: []\n'), audit: false });
    const { args } = make() as { args: Record<string, unknown> };
    const started = performance.now();
    const outcome = await kernel.handle({ tool: 't', args }, () => 'ran');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(outcome.kind).toBe('refused');
  }, 5000);

  it('still accepts what fits exactly: a dense array and a long string under the limit', () => {
    expect(checkJsonValue({ a: new Array(1000).fill(1), s: 'x'.repeat(1024 * 1024 - 2100) })).toBeNull();
    expect(snapshotJson({ a: new Array(1000).fill(1), s: 'x'.repeat(1024 * 1024 - 2100) }).ok).toBe(true);
    const sparse = snapshotJson({ a: new Array(10) });
    expect(sparse).toMatchObject({ ok: true, value: { a: new Array(10).fill(null) } });
  });
});
