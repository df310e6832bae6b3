import { types } from 'node:util';
import { DEFAULT_REQUEST_LIMITS, findCycle, jsonStringBytes, type RequestLimits } from './limits.js';

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
 * with the path to the offending part.
 */
export function snapshotJson(value: unknown, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): Snapshot {
  let copy: unknown;
  const path: string[] = [];
  const walk = new Copier(limits);
  try {
    copy = walk.value(value, 0, path);
  } catch (error) {
    if (error instanceof SnapshotRefused) {
      if (error.tooDeep) {
        // Deep nesting is usually a cycle: name it as one when the path comes back to an ancestor.
        let cycle: string[] | null = null;
        try {
          cycle = findCycle(value, path);
        } catch {
          // the value fights back: report the depth
        }
        if (cycle) return { ok: false, message: 'cyclic reference', path: cycle.join('.') };
      }
      return { ok: false, message: error.message, path: path.join('.') };
    }
    // A getter or proxy trap threw while being read: the value is not JSON data.
    return { ok: false, message: 'the value could not be read (a getter or proxy threw)', path: path.join('.') };
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
 * `checkJsonValue` counts it). `path` is filled as the walk descends and left pointing at the
 * problem when one is thrown.
 */
class Copier {
  bytes = 0;
  private readonly maxBytes: number;
  private readonly maxDepth: number;

  constructor(limits: RequestLimits) {
    this.maxBytes = limits.maxBytes;
    this.maxDepth = limits.maxDepth;
  }

  value(value: unknown, depth: number, path: string[]): unknown {
    switch (typeof value) {
      case 'string':
        this.bytes += jsonStringBytes(value);
        if (this.bytes > this.maxBytes) throw new SnapshotRefused(`more than ${this.maxBytes} bytes as canonical JSON`);
        return value;
      case 'boolean':
        this.bytes += value ? 4 : 5;
        return value;
      case 'number':
        if (!Number.isFinite(value)) throw new SnapshotRefused(`${value} is not allowed (only finite numbers)`);
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
        return Array.isArray(value) ? this.array(value, depth + 1, path) : this.object(value, depth + 1, path);
      default:
        throw new SnapshotRefused(`a ${typeof value} is not allowed (only JSON data)`);
    }
  }

  private array(array: readonly unknown[], depth: number, path: string[]): readonly unknown[] {
    const length = array.length;
    const out = new Array<unknown>(length);
    for (let i = 0; i < length; i++) {
      if (i > 0) this.bytes += 1;
      path.push(String(i));
      const item = this.value(array[i], depth, path);
      if (item === undefined) {
        this.bytes += 4;
        out[i] = null; // as JSON writes a hole or undefined
      } else {
        out[i] = item;
      }
      path.pop();
    }
    return Object.freeze(out);
  }

  private object(record: object, depth: number, path: string[]): Readonly<Record<string, unknown>> {
    const proto: unknown = Object.getPrototypeOf(record);
    if (proto !== Object.prototype && proto !== null) {
      let kind = 'non-plain object';
      try {
        const name: unknown = (record as { constructor?: { name?: unknown } }).constructor?.name;
        if (typeof name === 'string' && name) kind = name;
      } catch {
        // keep the generic name
      }
      throw new SnapshotRefused(`a ${kind} is not allowed (only plain objects and arrays)`);
    }
    const out: Record<string, unknown> = {};
    let first = true;
    // for-in with hasOwn: own enumerable string keys, as Object.keys, without a key array per object.
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      path.push(key);
      if (FORBIDDEN_KEYS.has(key)) throw new SnapshotRefused(`the key '${key}' is not allowed`);
      const member = this.value((record as Record<string, unknown>)[key], depth, path);
      if (member !== undefined) {
        this.bytes += (first ? 0 : 1) + jsonStringBytes(key) + 1;
        first = false;
        out[key] = member;
      }
      path.pop();
    }
    return Object.freeze(out);
  }
}

/** What the bounds step established about a request it built: within which limits, and its arguments' canonical JSON. */
export interface BoundedFacts {
  limits: RequestLimits;
  /** RFC 8785 canonical JSON of the request's `args`, computed once for its identity. */
  argsJson: string;
  /** The request these facts were established for: a copy of it (a spread) is not that request. */
  of: object | null;
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
