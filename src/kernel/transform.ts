import type { Stage, Transform } from '../core/types.js';
import { SUBJECT_OF } from '../policy/index.js';

/** The value that replaces a redacted field. */
export const REDACTED = '[REDACTED]';

/** What a transform rewrites at each stage: the call's arguments, or the text/output. */

/**
 * Applies a transform to a copy of `subject` (the original is untouched). Paths are dotted,
 * relative to the stage's subject (`ssn`, `customer.email`, `rows.*.card`); a leading subject
 * name (`args.ssn`, `output.email`) is accepted too. An empty path, or the subject's own name,
 * means the whole subject. Redaction skips paths that are absent; `set` creates them.
 */
export function applyTransform(subject: unknown, transform: Transform, stage: Stage): unknown {
  let result: unknown = structuredClone(subject);
  const prefix = SUBJECT_OF[stage];
  for (const path of transform.redact) {
    const segments = splitPath(path, prefix);
    if (segments.length === 0) result = REDACTED;
    else redactAt(result, segments);
  }
  for (const [path, value] of Object.entries(transform.set)) {
    const segments = splitPath(path, prefix);
    if (segments.length === 0) result = structuredClone(value);
    else result = setAt(result, segments, structuredClone(value));
  }
  return result;
}

const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

function splitPath(path: string, prefix: string): string[] {
  const segments = path.split('.').filter((s) => s !== '');
  if (segments[0] === prefix) segments.shift();
  if (segments.some((s) => UNSAFE.has(s))) throw new Error(`transform path '${path}' is not allowed`);
  return segments;
}

function redactAt(node: unknown, segments: readonly string[]): void {
  if (typeof node !== 'object' || node === null) return;
  const [head, ...rest] = segments as [string, ...string[]];
  const container = node as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(container) : Object.hasOwn(container, head) ? [head] : [];
  for (const key of keys) {
    if (rest.length === 0) container[key] = REDACTED;
    else redactAt(container[key], rest);
  }
}

function setAt(node: unknown, segments: readonly string[], value: unknown): unknown {
  const root: Record<string, unknown> = typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : {};
  let current = root;
  segments.forEach((segment, i) => {
    if (i === segments.length - 1) {
      current[segment] = value;
      return;
    }
    const next = current[segment];
    if (typeof next !== 'object' || next === null) current[segment] = {};
    current = current[segment] as Record<string, unknown>;
  });
  return root;
}
