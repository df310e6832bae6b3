import { compileGlobList } from '../language/glob.js';
import type { PolicyDocumentSpec } from './schema.js';

/**
 * `quarantine:` under `extends`: a child may narrow its parent's allow-list, never widen it.
 * Each of the child's patterns is kept only when the parent's list matches it (read as a name:
 * the parent's `*` keeps the child's `*.read`, the parent's `db.*` drops the child's `*.read`,
 * which would reach beyond `db`). A side that has no section leaves the other's as it is.
 */
export function narrowQuarantine(parent: PolicyDocumentSpec['quarantine'], child: PolicyDocumentSpec['quarantine']): PolicyDocumentSpec['quarantine'] {
  if (parent === undefined) return child;
  if (child === undefined) return parent;
  const parentAllows = compileGlobList(parent.allow);
  return { allow: child.allow.filter((pattern) => parentAllows(pattern)) };
}
