import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalJsonError } from '../../src/core/canonical-json.js';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}');
    // RFC 8785 §3.2.3: sorting is by UTF-16 code units (0x0080 < 0x20AC < 0xD83D), not code points
    expect(canonicalJson({ '\u20ac': 1, '\ud83d\ude00': 2, '\u0080': 3 })).toBe('{"\u0080":3,"\u20ac":1,"\ud83d\ude00":2}');
  });

  it('formats numbers as ECMAScript does (RFC 8785 §3.2.2.3)', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 100])).toBe('[1e+21,1e-7,0,0.30000000000000004,100]');
  });

  it('escapes strings minimally', () => {
    expect(canonicalJson('\u0000\b\t\n\f\r"\\\u001f\u007f')).toBe('"\\u0000\\b\\t\\n\\f\\r\\"\\\\\\u001f\u007f"');
  });

  it('refuses values JSON cannot carry instead of silently changing them', () => {
    expect(() => canonicalJson({ a: NaN })).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ a: Infinity })).toThrow(/at a/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
    expect(() => canonicalJson({ f: () => 1 })).toThrow(/function/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/cyclic reference at self/);
  });

  it('serializes shared (non-cyclic) references each time they appear', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});
