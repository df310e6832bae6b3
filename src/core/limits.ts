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


/**
 * Why a value was refused: a message and the path to the offending part. Neither carries anything
 * the value supplied (no key, no string, no number, nothing a getter threw): reasons are logged and
 * audited, and a request's keys and values may be secrets. The path names structure only: an array
 * element by its index (`[2]`), an object member by its position among the object's own keys
 * (`<key 0>`, counted from 0 in `Object.keys` order); the request's own fields (`args`, `context`,
 * ...) by name at the top, as those names are ours.
 */
export interface LimitViolation {
  message: string;
  path: string;
}

/** The request's own top-level fields: names we define, so a path may show them. */
const REQUEST_FIELDS: ReadonlySet<string> = new Set(['stage', 'agent', 'tool_name', 'action', 'args', 'input', 'output', 'context']);

/**
 * The structural form of a path (see {@link LimitViolation}): `keys` are the real keys and indexes
 * (an index is a number), `positions` the position of each string key among its object's own keys.
 * With `namedRoot`, a first key that is one of the request's fields is shown by name.
 */
export function describePath(keys: readonly (string | number)[], positions: readonly number[], namedRoot = false, count = keys.length): string {
  let out = '';
  for (let i = 0; i < count; i++) {
    const key = keys[i];
    if (typeof key === 'number') out += `[${key}]`;
    else if (i === 0 && namedRoot && key !== undefined && REQUEST_FIELDS.has(key)) out += key;
    else out += `${i === 0 ? '' : '.'}<key ${positions[i] ?? '?'}>`;
  }
  return out;
}

/** `prefix` followed by a structural `path` (`args` and `<key 0>` make `args.<key 0>`; `[1]` makes `args[1]`). */
export function joinPath(prefix: string, path: string): string {
  if (path === '') return prefix;
  if (prefix === '' || path.startsWith('[')) return prefix + path;
  return `${prefix}.${path}`;
}

/** Names of the built-in objects a request may not hold; anything else not plain is a class instance. */
const BUILTIN_KINDS: ReadonlyMap<unknown, string> = new Map<unknown, string>([
  [Date.prototype, 'Date'],
  [Map.prototype, 'Map'],
  [Set.prototype, 'Set'],
  [WeakMap.prototype, 'WeakMap'],
  [WeakSet.prototype, 'WeakSet'],
  [RegExp.prototype, 'RegExp'],
  [Promise.prototype, 'Promise'],
  [Error.prototype, 'Error'],
  [ArrayBuffer.prototype, 'ArrayBuffer'],
  [Uint8Array.prototype, 'Uint8Array'],
  [Function.prototype, 'function'],
]);

/**
 * The message for an object that is not plain, from its prototype alone: a built-in's name or
 * "class instance". Never reads the object (its `constructor` may be a getter or a request-supplied
 * name).
 */
export function notPlainMessage(proto: unknown): string {
  return `a ${BUILTIN_KINDS.get(proto) ?? 'class instance'} is not allowed (only plain objects and arrays)`;
}

/** The message for a number JSON cannot carry: its kind, never its value. */
export const NON_FINITE_MESSAGE = 'a non-finite number (NaN or Infinity) is not allowed (only finite numbers)';

/** The message for a part that cannot fit the byte budget. */
export function tooManyBytesMessage(maxBytes: number): string {
  return `request exceeds ${maxBytes} bytes as canonical JSON`;
}

/**
 * Walks `value` and returns the first violation of `limits`, or null when it is acceptable.
 * Accepts only JSON data: plain objects, arrays, strings, finite numbers, booleans, null, and
 * `undefined` members (which JSON omits). Symbol-keyed and non-enumerable properties are not
 * part of a request (JSON cannot carry them) and are ignored here, as everywhere else.
 * Never throws, even for cyclic or exotic input: a cycle shows up as nesting past the depth
 * limit, and only then is the (slower) cycle check run, to name the problem precisely.
 *
 * The work is bounded by the byte budget, not by what the value claims: an array whose length,
 * a string whose length, or an object whose key count cannot fit what is left of `maxBytes` is
 * refused before it is walked (an element costs at least a byte and a comma, a UTF-16 unit at
 * least a byte, a key at least four bytes: quotes, colon and a one-byte value).
 */
export function checkJsonValue(value: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): LimitViolation | null {
  const walker = new Walker(limits);
  const violation = walker.visit(value, 0);
  if (violation) {
    const keys = violation.path.reverse();
    const positions = violation.positions.reverse();
    const cycle = violation.tooDeep ? findCycle(value, keys) : -1;
    if (cycle >= 0) return { message: 'cyclic reference', path: describePath(keys, positions, true, cycle) };
    return { message: violation.message, path: describePath(keys, positions, true) };
  }
  if (walker.bytes > limits.maxBytes) {
    return { message: `request is ${walker.bytes} bytes as canonical JSON; the limit is ${limits.maxBytes}`, path: '' };
  }
  return null;
}

/**
 * A violation found while walking; `path` (real keys and indexes) and `positions` (each key's
 * position in its object) are built leaf-first as the walk unwinds.
 */
interface Found {
  message: string;
  path: (string | number)[];
  positions: number[];
  tooDeep?: boolean;
}

function found(message: string, tooDeep = false): Found {
  return { message, path: [], positions: [], tooDeep };
}

class Walker {
  bytes = 0;
  /**
   * Whether Object.prototype has enumerable properties (it has none unless polluted): only then
   * can a for-in see inherited keys, and only then does each key need an own-property check.
   */
  private readonly inherits: boolean;
  private readonly maxBytes: number;

  constructor(private readonly limits: RequestLimits) {
    this.inherits = hasEnumerableProperties(Object.prototype);
    this.maxBytes = limits.maxBytes;
  }

  visit(value: unknown, depth: number): Found | null {
    switch (typeof value) {
      case 'string':
        // At least a byte per UTF-16 unit: a string that cannot fit is refused unmeasured.
        if (this.bytes + value.length + 2 > this.maxBytes) return found(tooManyBytesMessage(this.maxBytes));
        this.bytes += jsonStringBytes(value);
        return this.bytes > this.maxBytes ? found(tooManyBytesMessage(this.maxBytes)) : null;
      case 'number':
        if (!Number.isFinite(value)) return found(NON_FINITE_MESSAGE);
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
        return found(`a ${typeof value} is not allowed in a request (only JSON data)`);
    }
  }

  private visitObject(value: object, depth: number): Found | null {
    if (depth > this.limits.maxDepth) return found(`nesting deeper than ${this.limits.maxDepth} levels`, true);
    this.bytes += 2;
    if (Array.isArray(value)) {
      const length = value.length;
      // Each element is at least one byte, and all but the first follow a comma.
      if (length > 0 && this.bytes + 2 * length - 1 > this.maxBytes) return found(tooManyBytesMessage(this.maxBytes));
      for (let i = 0; i < length; i++) {
        if (i > 0) this.bytes += 1;
        const item: unknown = value[i];
        const problem = this.visit(item === undefined ? null : item, depth);
        if (problem) {
          problem.path.push(i);
          problem.positions.push(i);
          return problem;
        }
      }
      return null;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return found(notPlainMessage(proto));
    // for-in (with hasOwn: only own keys count) walks V8's enumeration cache without allocating a
    // key array per object, as Object.keys does; it sees an own `__proto__` key (JSON.parse makes
    // those) like any other.
    let first = true;
    let position = 0;
    // Each key costs at least four bytes (quotes, colon, a one-byte value): a key that could not
    // fit ends the walk, so an object with a million keys is not walked through.
    const keyBudget = (this.maxBytes - this.bytes) / 4;
    const inherits = this.inherits;
    for (const key in value) {
      if (inherits && !Object.hasOwn(value, key)) continue;
      if (position >= keyBudget) return found(tooManyBytesMessage(this.maxBytes));
      const at = position++;
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
        const problem = found(`the key '${key}' is not allowed`);
        problem.path.push(key);
        problem.positions.push(at);
        return problem;
      }
      const member = (value as Record<string, unknown>)[key];
      if (member === undefined) continue;
      this.bytes += (first ? 0 : 1) + jsonStringBytes(key) + 1;
      first = false;
      const problem = this.visit(member, depth);
      if (problem) {
        problem.path.push(key);
        problem.positions.push(at);
        return problem;
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
 * Follows the path of a depth violation from the root and returns the length of the prefix at
 * which an object repeats (a cycle), or -1 when the nesting is simply deep. Linear in the path's
 * length.
 */
export function findCycle(root: unknown, path: readonly (string | number)[]): number {
  const seen = new Set<unknown>();
  let node = root;
  for (let i = 0; i <= path.length; i++) {
    if (typeof node !== 'object' || node === null) return -1;
    if (seen.has(node)) return i;
    seen.add(node);
    if (i < path.length) node = (node as Record<string | number, unknown>)[path[i] as string | number];
  }
  return -1;
}

function numberBytes(value: number): number {
  // Small non-negative integers are the common case; avoid formatting them.
  if (Number.isInteger(value) && value >= 0 && value < 1000) return value < 10 ? 1 : value < 100 ? 2 : 3;
  return String(value).length;
}

/** UTF-8 length of `s` once quoted and escaped as JSON.stringify (and so RFC 8785) would. */
export function jsonStringBytes(s: string): number {
  // Most strings are printable ASCII with nothing to escape: one byte per character. A short one
  // is checked fastest by a loop; a long one (a token, a certificate) by a regex V8 scans natively.
  const length = s.length;
  if (length > LONG_STRING) return NEEDS_ESCAPE_OR_NON_ASCII.test(s) ? escapedStringBytes(s) : length + 2;
  let i = 0;
  while (i < length) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
    i++;
  }
  if (i === length) return length + 2;
  return escapedStringBytes(s);
}

/** Past this many characters the regex beats the loop (measured: about 2x at 700 characters). */
const LONG_STRING = 64;
/** Anything but printable ASCII other than `"` and `\`. */
const NEEDS_ESCAPE_OR_NON_ASCII = /[^\x20\x21\x23-\x5b\x5d-\x7e]/;

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
