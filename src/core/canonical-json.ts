/**
 * RFC 8785 (JSON Canonicalization Scheme) serialization.
 *
 * JCS is exactly ECMAScript's JSON.stringify for strings and finite numbers, with object keys
 * sorted by UTF-16 code units, so the canonical form falls out of JSON.stringify plus a sort.
 * Values JSON cannot represent faithfully (NaN, Infinity, BigInt, functions, symbols, cycles)
 * are errors here rather than silently turned into `null`: a digest over a lossy form would
 * let two different requests share one hash.
 */
export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
  constructor(
    message: string,
    /** Dotted path to the offending value, e.g. `args.items.3`. */
    readonly path: string,
  ) {
    super(path ? `${message} at ${path}` : message);
  }
}

/** Serializes `value` as RFC 8785 canonical JSON. `undefined` object members are omitted. */
export function canonicalJson(value: unknown): string {
  return serialize(value, '', new Set());
}

function serialize(value: unknown, path: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} is not representable in JSON`, path);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (seen.has(value)) throw new CanonicalJsonError('cyclic reference', path);
      seen.add(value);
      let out: string;
      if (Array.isArray(value)) {
        const parts: string[] = [];
        for (let i = 0; i < value.length; i++) {
          const item: unknown = value[i];
          parts.push(item === undefined ? 'null' : serialize(item, join(path, String(i)), seen));
        }
        out = '[' + parts.join(',') + ']';
      } else {
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record).sort();
        const parts: string[] = [];
        for (const key of keys) {
          const member = record[key];
          if (member === undefined) continue;
          parts.push(JSON.stringify(key) + ':' + serialize(member, join(path, key), seen));
        }
        out = '{' + parts.join(',') + '}';
      }
      seen.delete(value);
      return out;
    }
    case 'undefined':
      return 'null';
    default:
      throw new CanonicalJsonError(`a ${typeof value} is not representable in JSON`, path);
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
