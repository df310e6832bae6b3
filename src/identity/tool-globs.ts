import { globMatches } from '../core/glob.js';

/**
 * Whether one set of tool globs grants no more than another, for delegation (a child's tools
 * must be a subset of its parent's). Globs mean what they mean in policies: `*` matches any run
 * of characters (including `.`), and `prefix.*` also matches `prefix` itself.
 *
 * Deciding inclusion between two arbitrary globs is possible but subtle; a delegation check must
 * never be subtle in the permissive direction. So a child glob is covered by a parent glob only
 * in these cases, and refused otherwise (a refusal costs a re-issued link; a wrong "yes" widens
 * authority):
 *
 * - they are equal, or the parent is `*`;
 * - the child has no `*` (an exact tool name) and the parent glob matches it;
 * - the parent is `L*` with its only `*` at the end, and the child's literal text before its
 *   first `*` starts with `L` (every name the child matches then starts with `L`; a child
 *   `prefix.*` also matches `prefix`, which the rule covers because `L` is then a prefix of
 *   `prefix` or the parent is `prefix.*` itself).
 */

/** True when every name `child` matches is matched by some glob in `parents`, by the conservative rules above. */
export function globsCover(parents: readonly string[], child: string): boolean {
  return parents.some((parent) => globCovers(parent, child));
}

/** The first child glob not covered by `parents`, by position (1-based), or 0 when all are covered. */
export function firstUncoveredGlob(parents: readonly string[], children: readonly string[]): number {
  const index = children.findIndex((child) => !globsCover(parents, child));
  return index + 1;
}

function globCovers(parent: string, child: string): boolean {
  if (parent === child || parent === '*') return true;
  if (!child.includes('*')) return globMatches(parent, child);
  const star = parent.indexOf('*');
  if (star !== parent.length - 1) return false;
  const literal = parent.slice(0, -1);
  return child.slice(0, child.indexOf('*')).startsWith(literal);
}
