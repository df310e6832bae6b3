/**
 * Bounds on what a request may contain. Hostile input (huge, deep, cyclic, prototype-polluting,
 * or holding values JSON cannot carry) is rejected up front, in one linear walk, so nothing
 * downstream — conditions, regexes, hashing — ever sees it.
 */

/** Limits applied to every request before it is decided. */
export interface RequestLimits {
  /** Largest request, measured as UTF-8 bytes of its canonical JSON. Default 1 MiB. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays. Default 64. */
  maxDepth: number;
}

/** 1 MiB of canonical JSON, 64 levels deep. */
export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 64,
});


/** Why a value was refused: a message and the dotted path to the offending part. */
export interface LimitViolation {
  message: string;
  path: string;
}

/**
 * Walks `value` and returns the first violation of `limits`, or null when it is acceptable.
 * Accepts only JSON data: plain objects, arrays, strings, finite numbers, booleans, null, and
 * `undefined` members (which JSON omits). Symbol-keyed and non-enumerable properties are not
 * part of a request (JSON cannot carry them) and are ignored here, as everywhere else.
 * Never throws, even for cyclic or exotic input: a cycle shows up as nesting past the depth
 * limit, and only then is the (slower) cycle check run, to name the problem precisely.
 */
export function checkJsonValue(value: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): LimitViolation | null {
  const walker = new Walker(limits);
  const violation = walker.visit(value, 0);
  if (violation) {
    const path = violation.path.reverse();
    const cycle = violation.tooDeep ? findCycle(value, path) : null;
    if (cycle) return { message: 'cyclic reference', path: cycle.join('.') };
    return { message: violation.message, path: path.join('.') };
  }
  if (walker.bytes > limits.maxBytes) {
    return { message: `request is ${walker.bytes} bytes as canonical JSON; the limit is ${limits.maxBytes}`, path: '' };
  }
  return null;
}

/** A violation found while walking; `path` is built leaf-first as the walk unwinds. */
interface Found {
  message: string;
  path: string[];
  tooDeep?: boolean;
}

class Walker {
  bytes = 0;
  /**
   * Whether Object.prototype has enumerable properties (it has none unless polluted): only then
   * can a for-in see inherited keys, and only then does each key need an own-property check.
   */
  private readonly inherits: boolean;

  constructor(private readonly limits: RequestLimits) {
    this.inherits = hasEnumerableProperties(Object.prototype);
  }

  visit(value: unknown, depth: number): Found | null {
    switch (typeof value) {
      case 'string':
        this.bytes += jsonStringBytes(value);
        return this.bytes > this.limits.maxBytes ? { message: `request exceeds ${this.limits.maxBytes} bytes as canonical JSON`, path: [] } : null;
      case 'number':
        if (!Number.isFinite(value)) return { message: `${value} is not allowed (only finite numbers)`, path: [] };
        this.bytes += numberBytes(value);
        return null;
      case 'boolean':
        this.bytes += value ? 4 : 5;
        return null;
      case 'undefined':
        return null;
      case 'object':
        if (value === null) {
          this.bytes += 4;
          return null;
        }
        return this.visitObject(value, depth + 1);
      default:
        return { message: `a ${typeof value} is not allowed in a request (only JSON data)`, path: [] };
    }
  }

  private visitObject(value: object, depth: number): Found | null {
    if (depth > this.limits.maxDepth) return { message: `nesting deeper than ${this.limits.maxDepth} levels`, path: [], tooDeep: true };
    this.bytes += 2;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (i > 0) this.bytes += 1;
        const item: unknown = value[i];
        const found = this.visit(item === undefined ? null : item, depth);
        if (found) {
          found.path.push(String(i));
          return found;
        }
      }
      return null;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return { message: `a ${typeof kind === 'string' ? kind : 'non-plain object'} is not allowed (only plain objects and arrays)`, path: [] };
    }
    // for-in (with hasOwn: only own keys count) walks V8's enumeration cache without allocating a
    // key array per object, as Object.keys does; it sees an own `__proto__` key (JSON.parse makes
    // those) like any other.
    let first = true;
    const inherits = this.inherits;
    for (const key in value) {
      if (inherits && !Object.hasOwn(value, key)) continue;
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return { message: `the key '${key}' is not allowed`, path: [key] };
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined) continue;
      this.bytes += (first ? 0 : 1) + jsonStringBytes(key) + 1;
      first = false;
      const found = this.visit(member, depth);
      if (found) {
        found.path.push(key);
        return found;
      }
    }
    return null;
  }
}

function hasEnumerableProperties(object: object): boolean {
  for (const _ in object) return true;
  return false;
}

/**
 * Follows the path of a depth violation from the root and returns the prefix at which an object
 * repeats (a cycle), or null when the nesting is simply deep. Linear in the path's length.
 */
export function findCycle(root: unknown, path: readonly string[]): string[] | null {
  const seen = new Set<unknown>();
  let node = root;
  for (let i = 0; i <= path.length; i++) {
    if (typeof node !== 'object' || node === null) return null;
    if (seen.has(node)) return path.slice(0, i);
    seen.add(node);
    if (i < path.length) node = (node as Record<string, unknown>)[path[i] as string];
  }
  return null;
}

function numberBytes(value: number): number {
  // Small non-negative integers are the common case; avoid formatting them.
  if (Number.isInteger(value) && value >= 0 && value < 1000) return value < 10 ? 1 : value < 100 ? 2 : 3;
  return String(value).length;
}

/** UTF-8 length of `s` once quoted and escaped as JSON.stringify (and so RFC 8785) would. */
export function jsonStringBytes(s: string): number {
  // Most strings are short printable ASCII with nothing to escape: one byte per character.
  const length = s.length;
  let i = 0;
  while (i < length) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
    i++;
  }
  if (i === length) return length + 2;
  return escapedStringBytes(s);
}

/** {@link jsonStringBytes} for a string with something to escape or beyond ASCII. */
function escapedStringBytes(s: string): number {
  let n = 2;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c >= 0x20 && c !== 0x22 && c !== 0x5c) n += 1;
      else if (c === 0x22 || c === 0x5c || c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) n += 2;
      else n += 6;
    } else if (c < 0x800) {
      n += 2;
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      n += 6; // a lone surrogate is escaped as \uXXXX
    } else {
      n += 3;
    }
  }
  return n;
}
