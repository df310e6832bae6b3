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

export const DEFAULT_REQUEST_LIMITS: Readonly<RequestLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 64,
});

/** Keys that could reach or replace an object's prototype if copied naively. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Why a value was refused: a message and the dotted path to the offending part. */
export interface LimitViolation {
  message: string;
  path: string;
}

/**
 * Walks `value` and returns the first violation of `limits`, or null when it is acceptable.
 * Accepts only JSON data: plain objects, arrays, strings, finite numbers, booleans, null, and
 * `undefined` members (which JSON omits). Never throws, even for cyclic or exotic input.
 */
export function checkJsonValue(value: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): LimitViolation | null {
  const walker = new Walker(limits);
  const violation = walker.visit(value, '', 0);
  if (violation) return violation;
  if (walker.bytes > limits.maxBytes) {
    return { message: `request is ${walker.bytes} bytes as canonical JSON; the limit is ${limits.maxBytes}`, path: '' };
  }
  return null;
}

class Walker {
  bytes = 0;
  private readonly ancestors = new Set<object>();
  constructor(private readonly limits: RequestLimits) {}

  visit(value: unknown, path: string, depth: number): LimitViolation | null {
    switch (typeof value) {
      case 'string':
        this.bytes += jsonStringBytes(value);
        return this.bytes > this.limits.maxBytes ? this.tooBig() : null;
      case 'number':
        if (!Number.isFinite(value)) return { message: `${value} is not allowed (only finite numbers)`, path };
        this.bytes += String(value).length;
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
        return this.visitObject(value, path, depth + 1);
      default:
        return { message: `a ${typeof value} is not allowed in a request (only JSON data)`, path };
    }
  }

  private visitObject(value: object, path: string, depth: number): LimitViolation | null {
    if (depth > this.limits.maxDepth) {
      return { message: `nesting deeper than ${this.limits.maxDepth} levels`, path };
    }
    if (this.ancestors.has(value)) return { message: 'cyclic reference', path };
    const isArray = Array.isArray(value);
    if (!isArray) {
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        const kind = (value as { constructor?: { name?: unknown } }).constructor?.name;
        return { message: `a ${typeof kind === 'string' ? kind : 'non-plain object'} is not allowed (only plain objects and arrays)`, path };
      }
    }
    this.ancestors.add(value);
    this.bytes += 2;
    let violation: LimitViolation | null = null;
    if (isArray) {
      const array = value as unknown[];
      for (let i = 0; i < array.length && !violation; i++) {
        if (i > 0) this.bytes += 1;
        violation = this.visit(array[i] === undefined ? null : array[i], childPath(path, String(i)), depth);
      }
    } else {
      // Reflect.ownKeys also sees symbol keys and a literal own `__proto__` (JSON.parse makes those).
      const keys = Reflect.ownKeys(value);
      let first = true;
      for (const key of keys) {
        if (typeof key === 'symbol') {
          violation = { message: 'symbol keys are not allowed', path };
          break;
        }
        if (FORBIDDEN_KEYS.has(key)) {
          violation = { message: `the key '${key}' is not allowed`, path: childPath(path, key) };
          break;
        }
        const member = (value as Record<string, unknown>)[key];
        if (member === undefined) continue;
        this.bytes += (first ? 0 : 1) + jsonStringBytes(key) + 1;
        first = false;
        violation = this.visit(member, childPath(path, key), depth);
        if (violation) break;
      }
    }
    this.ancestors.delete(value);
    return violation;
  }

  private tooBig(): LimitViolation {
    return { message: `request exceeds ${this.limits.maxBytes} bytes as canonical JSON`, path: '' };
  }
}

function childPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** UTF-8 length of `s` once quoted and escaped as JSON.stringify (and so RFC 8785) would. */
export function jsonStringBytes(s: string): number {
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
