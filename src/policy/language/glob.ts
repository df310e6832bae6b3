import { canonicalToolName } from '../../core/tool-name.js';

/**
 * Name globs for tool, action and agent lists: `*` matches any run of characters (including
 * none); `prefix.*` also matches `prefix` itself (AGT's convention). No regex is built, so a
 * hostile pattern cannot cost more than linear-ish time in the name's length.
 */
export type NameMatcher = (name: string) => boolean;

/** A matcher for one name glob. */
export function compileGlob(pattern: string): NameMatcher {
  if (pattern === '*') return () => true;
  if (!pattern.includes('*')) return (name) => name === pattern;
  const bare = pattern.endsWith('.*') && !pattern.slice(0, -2).includes('*') ? pattern.slice(0, -2) : null;
  const parts = pattern.split('*');
  return (name) => (bare !== null && name === bare) || matchParts(name, parts);
}

/** Greedy wildcard match: parts are the literal pieces between `*`s. */
function matchParts(name: string, parts: readonly string[]): boolean {
  const first = parts[0] as string;
  const last = parts[parts.length - 1] as string;
  if (!name.startsWith(first)) return false;
  if (name.length < first.length + last.length || !name.endsWith(last)) return false;
  let position = first.length;
  const end = name.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] as string;
    const found = name.indexOf(part, position);
    if (found < 0 || found + part.length > end) return false;
    position = found + part.length;
  }
  return true;
}

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
