import { compileGlobList, type NameMatcher } from '../../core/glob.js';
import { canonicalToolName } from '../../core/tool-name.js';

/** Glob lists for tool, action and agent names; the globs themselves are core's (shared with identity). */
export { compileGlob, compileGlobList, type NameMatcher } from '../../core/glob.js';

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
