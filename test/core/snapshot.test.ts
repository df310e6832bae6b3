import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { BOUNDED, boundedFacts, sealBounded, snapshotJson, BoundedFacts } from '../../src/core/snapshot.js';

describe('snapshotJson: the kernel reads what a caller hands it exactly once', () => {
  it('returns a deep, frozen copy that later changes to the original do not reach', () => {
    const original = { a: 1, nested: { list: [1, { b: 'x' }] } };
    const snap = snapshotJson(original);
    expect(snap.ok).toBe(true);
    if (!snap.ok) return;
    original.nested.list.push(2);
    (original.nested.list[1] as { b: string }).b = 'changed';
    expect(snap.value).toEqual({ a: 1, nested: { list: [1, { b: 'x' }] } });
    const copy = snap.value as { nested: { list: unknown[] } };
    expect(Object.isFrozen(copy)).toBe(true);
    expect(Object.isFrozen(copy.nested.list)).toBe(true);
    expect(Object.isFrozen(copy.nested.list[1])).toBe(true);
  });

  it('reads each property once: a getter that changes its answer is pinned to its first', () => {
    let reads = 0;
    const snap = snapshotJson({
      get path() {
        reads += 1;
        return reads === 1 ? '/tmp/ok' : '/etc/passwd';
      },
    });
    expect(snap).toMatchObject({ ok: true, value: { path: '/tmp/ok' } });
    expect(reads).toBe(1);
  });

  it('drops undefined members and writes undefined array items as null, as JSON does', () => {
    expect(snapshotJson({ a: undefined, b: [undefined, 1] })).toMatchObject({ ok: true, value: { b: [null, 1] } });
  });

  it('measures the copy as canonical JSON bytes, exactly at the limit', () => {
    const value = { text: 'é'.repeat(10), n: 12.5, list: [true, null] };
    const bytes = Buffer.byteLength(canonicalJson(value));
    expect(snapshotJson(value, { maxBytes: bytes, maxDepth: 64 }).ok).toBe(true);
    const over = snapshotJson(value, { maxBytes: bytes - 1, maxDepth: 64 });
    expect(over.ok).toBe(false);
  });

  it('refuses huge strings early, before copying the rest', () => {
    const snap = snapshotJson({ big: 'x'.repeat(2 * 1024 * 1024), after: 1 });
    expect(snap).toMatchObject({ ok: false, path: '<key 0>' });
  });

  it.each([
    ['a cycle, named as one', () => { const a: Record<string, unknown> = {}; a.self = a; return a; }, /cyclic reference/, '<key 0>'],
    ['nesting past the depth limit', () => { let d: unknown = 1; for (let i = 0; i < 70; i++) d = { d }; return d; }, /nesting deeper than 64 levels/, undefined],
    ['a class instance', () => ({ when: new Date(0) }), /a Date is not allowed/, '<key 0>'],
    ['a Map', () => ({ m: new Map() }), /a Map is not allowed/, '<key 0>'],
    ['a function', () => ({ f: () => 1 }), /a function is not allowed/, '<key 0>'],
    ['a bigint', () => ({ n: 1n }), /a bigint is not allowed/, '<key 0>'],
    ['NaN', () => ({ n: Number.NaN }), /a non-finite number \(NaN or Infinity\) is not allowed/, '<key 0>'],
    ['a __proto__ key', () => JSON.parse('{"__proto__": {"admin": true}}') as unknown, /the key '__proto__' is not allowed/, '<key 0>'],
    ['a proxy', () => ({ p: new Proxy({}, {}) }), /a Proxy is not allowed/, '<key 0>'],
  ])('refuses %s, with the path to it', (_name, make, message, path) => {
    const snap = snapshotJson(make());
    expect(snap.ok).toBe(false);
    if (snap.ok) return;
    expect(snap.message).toMatch(message);
    if (path !== undefined) expect(snap.path).toBe(path);
  });

  it('never throws, whatever the value throws while being read', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const hostile = [
      { get x(): never { throw Object.create(null); } },
      { get x(): never { throw new Error('boom'); } },
      revoked.proxy,
      Object.create(null, { x: { enumerable: true, get() { throw Symbol('s'); } } }),
    ];
    for (const value of hostile) expect(snapshotJson(value).ok).toBe(false);
  });

  it('ignores symbol keys and non-enumerable properties, as JSON does', () => {
    const value = { a: 1, [Symbol('s')]: 2 };
    Object.defineProperty(value, 'hidden', { value: 3, enumerable: false });
    expect(snapshotJson(value)).toMatchObject({ ok: true, value: { a: 1 } });
  });
});

describe('sealBounded: what the bounds step established travels with the request', () => {
  it('is recognized only for the very object sealed, never for a copy, and the request can no longer change', () => {
    const facts = new BoundedFacts({ maxBytes: 10, maxDepth: 2 }, '{}');
    const request = sealBounded({ args: {}, [BOUNDED]: facts });
    expect(boundedFacts(request)).toBe(facts);
    expect(boundedFacts({ ...request })).toBeUndefined(); // a spread carries the symbol, not the identity
    expect(boundedFacts({ args: {} })).toBeUndefined();
    expect(boundedFacts(null)).toBeUndefined();
    expect(Object.isFrozen(request)).toBe(true);
    expect(JSON.stringify(request)).toBe('{"args":{}}');
  });
});

describe('enumerable properties inherited from a polluted Object.prototype', () => {
  it('are not copied, counted or checked: only own keys are data', async () => {
    const { checkJsonValue } = await import('../../src/core/limits.js');
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 'x'.repeat(2_000_000);
    try {
      expect(snapshotJson({ a: 1 })).toMatchObject({ ok: true, value: { a: 1 } });
      const snap = snapshotJson({ a: 1 });
      expect(snap.ok && Object.hasOwn(snap.value as object, 'polluted')).toBe(false);
      expect(checkJsonValue({ a: 1 })).toBeNull();
    } finally {
      delete proto.polluted;
    }
  });
});
