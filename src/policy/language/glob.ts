import { canonicalToolName } from '../../core/tool-name.js';

import { compileGlob, type NameMatcher } from '../../core/glob.js';

/** Glob lists for tool, action and agent names; the glob itself is core's (shared with identity). */
export { compileGlob, type NameMatcher };

/** A matcher for a list of globs: true when any matches. */
export function compileGlobList(patterns: readonly string[]): NameMatcher {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wild = patterns.filter((p) => p.includes('*')).map(compileGlob);
  return (name) => exact.has(name) || wild.some((match) => match(name));
}

/**
 * A matcher for a list of tool-name globs that also matches in canonical form: a name that
 * differs from a listed one only by case or look-alike characters matches it (used for
 * `denied_tools`, where a look-alike must not slip past the list).
 */
export function compileToolGlobList(patterns: readonly string[]): NameMatcher {
  const exact = compileGlobList(patterns);
  const canonical = compileGlobList(patterns.map(canonicalToolName));
  return (name) => exact(name) || canonical(canonicalToolName(name));
}

/** Matches every name. Shared, so code can recognize "no filter" by identity and skip the call. */
export const ALWAYS: NameMatcher = () => true;
