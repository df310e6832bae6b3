import { types } from 'node:util';
import { checkJsonValue, DEFAULT_REQUEST_LIMITS, findCycle, type RequestLimits } from './limits.js';

/**
 * The kernel's copy of what a caller handed it: a deep, frozen copy of JSON data, read once.
 *
 * Everything after the bounds step (the policy, the approver, the tool) sees this copy and only
 * this copy, so nothing the caller does later reaches it: not a mutation of the object it passed
 * after `govern()` returned its promise, not a getter that answers differently on its second read,
 * not a proxy. Each property is read exactly once, here.
 */
export type Snapshot = { ok: true; value: unknown } | { ok: false; message: string; path: string };

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
  try {
    copy = copyValue(value, 0, limits.maxDepth, path);
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
  // The copy is plain, acyclic and frozen: the byte bound is measured on it, not on the original.
  const violation = checkJsonValue(copy, limits);
  if (violation) return { ok: false, message: violation.message, path: violation.path };
  return { ok: true, value: copy };
}

class SnapshotRefused extends Error {
  constructor(
    message: string,
    readonly tooDeep = false,
  ) {
    super(message);
  }
}

/** `path` is filled as the walk descends and left pointing at the problem when one is thrown. */
function copyValue(value: unknown, depth: number, maxDepth: number, path: string[]): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new SnapshotRefused(`${value} is not allowed (only finite numbers)`);
      return value;
    case 'undefined':
      return undefined;
    case 'object':
      if (value === null) return null;
      if (depth >= maxDepth) throw new SnapshotRefused(`nesting deeper than ${maxDepth} levels`, true);
      if (types.isProxy(value)) throw new SnapshotRefused('a Proxy is not allowed (only JSON data)');
      return Array.isArray(value) ? copyArray(value, depth + 1, maxDepth, path) : copyObject(value, depth + 1, maxDepth, path);
    default:
      throw new SnapshotRefused(`a ${typeof value} is not allowed (only JSON data)`);
  }
}

function copyArray(array: readonly unknown[], depth: number, maxDepth: number, path: string[]): readonly unknown[] {
  const length = array.length;
  const out = new Array<unknown>(length);
  for (let i = 0; i < length; i++) {
    path.push(String(i));
    const item = copyValue(array[i], depth, maxDepth, path);
    out[i] = item === undefined ? null : item; // as JSON writes a hole or undefined
    path.pop();
  }
  return Object.freeze(out);
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function copyObject(record: object, depth: number, maxDepth: number, path: string[]): Readonly<Record<string, unknown>> {
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
  const keys = Object.keys(record);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    path.push(key);
    if (FORBIDDEN_KEYS.has(key)) throw new SnapshotRefused(`the key '${key}' is not allowed`);
    const member = copyValue((record as Record<string, unknown>)[key], depth, maxDepth, path);
    if (member !== undefined) out[key] = member;
    path.pop();
  }
  return Object.freeze(out);
}
