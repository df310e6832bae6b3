import { types } from 'node:util';
import { DEFAULT_REQUEST_LIMITS, describePath, findCycle, jsonStringBytes, NON_FINITE_MESSAGE, notPlainMessage, type RequestLimits } from './limits.js';

/**
 * The kernel's copy of what a caller handed it: a deep, frozen copy of JSON data, read once.
 *
 * Everything after the bounds step (the policy, the approver, the tool) sees this copy and only
 * this copy, so nothing the caller does later reaches it: not a mutation of the object it passed
 * after `govern()` returned its promise, not a getter that answers differently on its second read,
 * not a proxy. Each property is read exactly once, here.
 */
export type Snapshot = { ok: true; value: unknown; bytes: number } | { ok: false; message: string; path: string };

/**
 * Copies `value` (JSON data only: plain objects, arrays, strings, finite numbers, booleans, null;
 * `undefined` object members are dropped as JSON drops them), freezing every object and array of
 * the copy, and checks the copy against `limits`. Never throws: a getter or proxy trap that throws,
 * a cycle, a class instance, a function, a number JSON cannot carry: each is a failed snapshot
 * with the path to the offending part, by structure only (see `LimitViolation`): `<key 0>[2]`.
 */
export function snapshotJson(value: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): Snapshot {
  let copy: unknown;
  const walk = new Copier(limits);
  const { keys, positions } = walk;
  try {
    copy = walk.value(value, 0);
  } catch (error) {
    if (error instanceof SnapshotRefused) {
      if (error.tooDeep) {
        // Deep nesting is usually a cycle: name it as one when the path comes back to an ancestor.
        let cycle = -1;
        try {
          cycle = findCycle(value, keys);
        } catch {
          // the value fights back: report the depth
        }
        if (cycle >= 0) return { ok: false, message: 'cyclic reference', path: describePath(keys, positions, false, cycle) };
      }
      return { ok: false, message: error.message, path: describePath(keys, positions) };
    }
    // A getter or proxy trap threw while being read: the value is not JSON data. What it threw is
    // the request's own text, so it is not repeated.
    return { ok: false, message: 'the value could not be read (a getter or proxy threw)', path: describePath(keys, positions) };
  }
  if (walk.bytes > limits.maxBytes) return { ok: false, message: `${walk.bytes} bytes as canonical JSON; the limit is ${limits.maxBytes}`, path: '' };
  return { ok: true, value: copy, bytes: walk.bytes };
}

class SnapshotRefused extends Error {
  constructor(
    message: string,
    readonly tooDeep = false,
  ) {
    super(message);
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * One walk that copies, freezes and measures (the canonical JSON byte count, as
 * `checkJsonValue` counts it). `keys` (real keys and indexes) and `positions` (each key's position
 * in its object) are filled as the walk descends and left pointing at the problem when one is
 * thrown. Like `checkJsonValue`, it refuses an array, string or object whose length or key count
 * alone cannot fit the bytes left, before walking it.
 */
class Copier {
  bytes = 0;
  readonly keys: (string | number)[] = [];
  readonly positions: number[] = [];
  private readonly maxBytes: number;
  private readonly maxDepth: number;

  constructor(limits: RequestLimits) {
    this.maxBytes = limits.maxBytes;
    this.maxDepth = limits.maxDepth;
  }

  value(value: unknown, depth: number): unknown {
    switch (typeof value) {
      case 'string':
        // At least a byte per UTF-16 unit: a string that cannot fit is refused unmeasured.
        if (this.bytes + value.length + 2 > this.maxBytes) throw new SnapshotRefused(`more than ${this.maxBytes} bytes as canonical JSON`);
        this.bytes += jsonStringBytes(value);
        if (this.bytes > this.maxBytes) throw new SnapshotRefused(`more than ${this.maxBytes} bytes as canonical JSON`);
        return value;
      case 'boolean':
        this.bytes += value ? 4 : 5;
        return value;
      case 'number':
        if (!Number.isFinite(value)) throw new SnapshotRefused(NON_FINITE_MESSAGE);
        this.bytes += Number.isInteger(value) && value >= 0 && value < 10 ? 1 : String(value).length;
        return value;
      case 'undefined':
        return undefined;
      case 'object':
        if (value === null) {
          this.bytes += 4;
          return null;
        }
        if (depth >= this.maxDepth) throw new SnapshotRefused(`nesting deeper than ${this.maxDepth} levels`, true);
        if (types.isProxy(value)) throw new SnapshotRefused('a Proxy is not allowed (only JSON data)');
        this.bytes += 2;
        return Array.isArray(value) ? this.array(value, depth + 1) : this.object(value, depth + 1);
      default:
        throw new SnapshotRefused(`a ${typeof value} is not allowed (only JSON data)`);
    }
  }

  private array(array: readonly unknown[], depth: number): readonly unknown[] {
    const length = array.length;
    // Each element is at least one byte, and all but the first follow a comma.
    if (length > 0 && this.bytes + 2 * length - 1 > this.maxBytes) throw new SnapshotRefused(`more than ${this.maxBytes} bytes as canonical JSON`);
    const out = new Array<unknown>(length);
    const { keys, positions } = this;
    for (let i = 0; i < length; i++) {
      if (i > 0) this.bytes += 1;
      keys.push(i);
      positions.push(i);
      const item = this.value(array[i], depth);
      if (item === undefined) {
        this.bytes += 4;
        out[i] = null; // as JSON writes a hole or undefined
      } else {
        out[i] = item;
      }
      keys.pop();
      positions.pop();
    }
    return Object.freeze(out);
  }

  private object(record: object, depth: number): Readonly<Record<string, unknown>> {
    const proto: unknown = Object.getPrototypeOf(record);
    if (proto !== Object.prototype && proto !== null) throw new SnapshotRefused(notPlainMessage(proto));
    const out: Record<string, unknown> = {};
    let first = true;
    let position = 0;
    // Each key costs at least four bytes (quotes, colon, a one-byte value): a key that could not
    // fit ends the walk, so an object with a million keys is not walked through.
    const keyBudget = (this.maxBytes - this.bytes) / 4;
    const { keys, positions } = this;
    // for-in with hasOwn: own enumerable string keys, as Object.keys, without a key array per object.
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      if (position >= keyBudget) throw new SnapshotRefused(`more than ${this.maxBytes} bytes as canonical JSON`);
      keys.push(key);
      positions.push(position++);
      if (FORBIDDEN_KEYS.has(key)) throw new SnapshotRefused(`the key '${key}' is not allowed`);
      const member = this.value((record as Record<string, unknown>)[key], depth);
      if (member !== undefined) {
        this.bytes += (first ? 0 : 1) + jsonStringBytes(key) + 1;
        first = false;
        out[key] = member;
      }
      keys.pop();
      positions.pop();
    }
    return Object.freeze(out);
  }
}

/**
 * What the bounds step established about a request it built: within which limits, and its
 * arguments' canonical JSON. The arguments' digest, once someone asked for it (core/digest.ts),
 * is kept in a private field: the identity step and the audit entry share one hash, and a
 * comparison of two requests never sees whether it was asked yet.
 */
export class BoundedFacts {
  /** The request these facts were established for: a copy of it (a spread) is not that request. */
  of: object | null = null;
  #argsDigest: string | undefined;

  constructor(
    readonly limits: RequestLimits,
    /** RFC 8785 canonical JSON of the request's `args`, computed once for its identity. */
    readonly argsJson: string,
    argsDigest?: string,
  ) {
    this.#argsDigest = argsDigest;
  }

  /** The arguments' digest if it was computed already. */
  get knownArgsDigest(): string | undefined {
    return this.#argsDigest;
  }

  /** Keeps the arguments' digest (SHA-256 hex of `argsJson`, computed by core/digest.ts) and returns it. */
  rememberArgsDigest(digest: string): string {
    this.#argsDigest = digest;
    return digest;
  }
}

/**
 * Where the facts ride on the request: a symbol no other module names. Symbol keys are invisible
 * to JSON, canonical JSON, for-in and Object.keys, so the request's data is unchanged; a spread
 * copies the key, but not the identity the facts name (`of`), so a copy is not recognized.
 * (A property in the literal costs far less than a WeakMap entry or defineProperty per request.)
 */
export const BOUNDED: unique symbol = Symbol('agt.bounded');

/**
 * Freezes a request the kernel built from snapshots (with `[BOUNDED]: facts` in its literal) and
 * ties the facts to it, so later steps (the evaluator's request check, the audit's argument
 * digest) need not walk it again. It cannot change afterwards.
 */
export function sealBounded<T extends { [BOUNDED]: BoundedFacts }>(request: T): Readonly<T> {
  request[BOUNDED].of = request;
  return Object.freeze(request);
}

/** The facts {@link sealBounded} recorded for `request`, or undefined for any other object. */
export function boundedFacts(request: unknown): BoundedFacts | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  const facts = (request as { [BOUNDED]?: BoundedFacts })[BOUNDED];
  return facts !== undefined && facts.of === request ? facts : undefined;
}
