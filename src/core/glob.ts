/**
 * Name globs, the one definition policies (tool, action and agent lists) and identity
 * (credential tool grants, delegation) share: `*` matches any run of characters (including none
 * and `.`); `prefix.*` also matches `prefix` itself (AGT's convention). No regex is built, so a
 * hostile pattern cannot cost more than linear-ish time in the name's length.
 */

/** A compiled glob: true when the name matches. */
export type NameMatcher = (name: string) => boolean;

/** A matcher for one name glob. */
export function compileGlob(pattern: string): NameMatcher {
  if (pattern === '*') return () => true;
  if (!pattern.includes('*')) return (name) => name === pattern;
  const bare = pattern.endsWith('.*') && !pattern.slice(0, -2).includes('*') ? pattern.slice(0, -2) : null;
  const parts = pattern.split('*');
  return (name) => (bare !== null && name === bare) || matchParts(name, parts);
}

/** A matcher for a list of globs: true when any matches. */
export function compileGlobList(patterns: readonly string[]): NameMatcher {
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const wild = patterns.filter((p) => p.includes('*')).map(compileGlob);
  return (name) => exact.has(name) || wild.some((match) => match(name));
}

/** Whether `name` matches `pattern` (compiling it once; for a pattern used many times, keep {@link compileGlob}'s matcher). */
export function globMatches(pattern: string, name: string): boolean {
  return compileGlob(pattern)(name);
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
