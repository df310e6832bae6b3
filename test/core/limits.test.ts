import { describe, expect, it } from 'vitest';
import { checkJsonValue, jsonStringBytes } from '../../src/core/limits.js';
import { canonicalJson } from '../../src/core/canonical-json.js';

describe('checkJsonValue', () => {
  it('accepts ordinary JSON data', () => {
    expect(checkJsonValue({ a: [1, 'two', null, true, { b: 2.5 }], c: undefined })).toBeNull();
  });

  it('measures size exactly as canonical JSON bytes', () => {
    const samples = ['plain', 'quote"back\\slash', 'control\u0001\n', 'é', '€', '😀', '\ud800lone'];
    for (const s of samples) expect(jsonStringBytes(s)).toBe(Buffer.byteLength(JSON.stringify(s)));
    // Long strings take another path (a regex): the same answers, for every character class at any position.
    const long = 'a'.repeat(200);
    for (const odd of ['"', '\\', '\u0000', '\u001f', '\u007f', '\u0080', 'é', '€', '😀', '\ud800', '\udfff', '~', ' ']) {
      for (const at of [0, 100, 199]) {
        const s = long.slice(0, at) + odd + long.slice(at);
        expect(jsonStringBytes(s)).toBe(Buffer.byteLength(JSON.stringify(s)));
      }
    }
    expect(jsonStringBytes(long)).toBe(202);
    const value = { text: 'x'.repeat(100), list: [1, 2, 3], nested: { é: '€' } };
    const exact = Buffer.byteLength(canonicalJson(value));
    expect(checkJsonValue(value, { maxBytes: exact, maxDepth: 64 })).toBeNull();
    expect(checkJsonValue(value, { maxBytes: exact - 1, maxDepth: 64 })?.message).toMatch(/bytes/);
  });

  it('rejects requests over 1 MiB', () => {
    expect(checkJsonValue({ blob: 'a'.repeat(1024 * 1024) })?.message).toMatch(/1048576/);
    expect(checkJsonValue({ blob: 'a'.repeat(1024 * 1024 - 20) })).toBeNull();
  });

  it('rejects nesting deeper than 64 levels, without recursion trouble', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 64; i++) deep = { d: deep };
    expect(checkJsonValue(deep)).toBeNull();
    expect(checkJsonValue({ d: deep })?.message).toMatch(/deeper than 64/);
    let veryDeep: unknown = 1;
    for (let i = 0; i < 100_000; i++) veryDeep = [veryDeep];
    expect(checkJsonValue(veryDeep)?.message).toMatch(/deeper than 64/);
  });

  it.each([
    ['a cycle', (() => { const o: Record<string, unknown> = {}; o.me = o; return o; })(), /cyclic/],
    ['a BigInt', { n: 10n }, /bigint/],
    ['a function', { f: () => 0 }, /function/],
    ['NaN', { n: NaN }, /non-finite number/],
    ['Infinity', { n: -Infinity }, /non-finite number/],
    ['a symbol value', { s: Symbol('x') }, /symbol/],
    ['a Date', { when: new Date(0) }, /Date/],
    ['a Map', { m: new Map() }, /Map/],
    ['__proto__ as an own key', JSON.parse('{"a":{"__proto__":{"polluted":true}}}'), /'__proto__'/],
    ['constructor as a key', { constructor: { prototype: {} } }, /'constructor'/],
  ])('rejects %s', (_name, value, message) => {
    expect(checkJsonValue(value)?.message).toMatch(message);
  });

  it('ignores symbol-keyed properties, which JSON cannot carry', () => {
    expect(checkJsonValue({ a: 1, [Symbol('k')]: () => 0 })).toBeNull();
  });

  it('names the path of a cycle however it is nested', () => {
    const inner: Record<string, unknown> = { list: [] };
    (inner.list as unknown[]).push({ back: inner });
    expect(checkJsonValue({ args: { inner } })).toEqual({ message: 'cyclic reference', path: 'args.<key 0>.<key 0>[0].<key 0>' });
  });

  it('names the path of the offending value', () => {
    expect(checkJsonValue({ args: { items: [1, 2, { bad: NaN }] } })?.path).toBe('args.<key 0>[2].<key 0>');
  });
});
