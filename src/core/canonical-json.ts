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
  try {
    return serialize(value, 0, null);
  } catch (error) {
    // The fast walk keeps no path; find where the problem is only now that there is one.
    if (error instanceof CanonicalJsonError) throw new CanonicalJsonError(error.message, pathToProblem(value, [], new Set()) ?? '');
    throw error;
  }
}

/** Below this depth no ancestor set is kept: real data is shallow, and a cycle only gets deeper. */
const TRACK_CYCLES_FROM_DEPTH = 32;

function serialize(value: unknown, depth: number, ancestors: Set<object> | null): string {
  switch (typeof value) {
    case 'string':
      return quoteJson(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} is not representable in JSON`, '');
      return String(value); // ECMAScript Number::toString, as RFC 8785 §3.2.2.3 requires
    case 'undefined':
      return 'null';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= TRACK_CYCLES_FROM_DEPTH) {
        ancestors ??= new Set();
        if (ancestors.has(value)) throw new CanonicalJsonError('cyclic reference', '');
        ancestors.add(value);
      }
      const out = Array.isArray(value) ? serializeArray(value, depth + 1, ancestors) : serializeObject(value as Record<string, unknown>, depth + 1, ancestors);
      ancestors?.delete(value);
      return out;
    }
    default:
      throw new CanonicalJsonError(`a ${typeof value} is not representable in JSON`, '');
  }
}

function serializeArray(array: readonly unknown[], depth: number, ancestors: Set<object> | null): string {
  let out = '[';
  for (let i = 0; i < array.length; i++) {
    if (i > 0) out += ',';
    out += serialize(array[i], depth, ancestors);
  }
  return out + ']';
}

function serializeObject(record: Record<string, unknown>, depth: number, ancestors: Set<object> | null): string {
  const keys = Object.keys(record);
  if (keys.length > 1 && !isSorted(keys)) keys.sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const member = record[key];
    if (member === undefined) continue;
    out += (first ? '' : ',') + quoteJson(key) + ':' + serialize(member, depth, ancestors);
    first = false;
  }
  return out + '}';
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] as string) > (keys[i] as string)) return false;
  return true;
}

/** Dotted path to the first value JSON cannot represent (or the first repeated ancestor). */
function pathToProblem(value: unknown, path: string[], ancestors: Set<object>): string | null {
  const here = path.join('.');
  if (typeof value === 'number') return Number.isFinite(value) ? null : here;
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') return here;
  if (typeof value !== 'object' || value === null) return null;
  if (ancestors.has(value)) return here;
  ancestors.add(value);
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value).sort();
  for (const key of keys) {
    const found = pathToProblem((value as Record<string, unknown>)[key], [...path, key], ancestors);
    if (found !== null) return found;
  }
  ancestors.delete(value);
  return null;
}

/** A JSON string literal exactly as JSON.stringify writes it, without calling it when nothing needs escaping. */
export function quoteJson(value: string): string {
  return needsEscape(value) ? JSON.stringify(value) : '"' + value + '"';
}

/** Characters JSON.stringify escapes (or, for lone surrogates, rewrites). Surrogate pairs also match; they merely take the slow path. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const ESCAPABLE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** True when JSON.stringify might escape or rewrite a character of `s`. (A regex: V8 runs it far faster than a charCodeAt loop.) */
export function needsEscape(s: string): boolean {
  return ESCAPABLE.test(s);
}
