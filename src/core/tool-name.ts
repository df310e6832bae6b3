/**
 * Tool names as a policy compares them. A name comes from a model or a client, so it can carry
 * look-alikes of a listed name: a Cyrillic 'е', a zero-width space, full-width letters, a case
 * change, a trailing space, a NUL, a combining accent. Two rules close that gap:
 *
 * - the kernel refuses a name that is not *plain* ({@link toolNameProblem}): only
 *   `[A-Za-z0-9_.:/-]`, so the name the policy decides is byte for byte the name the caller runs;
 * - the policy compares names in a canonical form ({@link canonicalToolName}), so a name that
 *   differs from a name the policy lists only by case or look-alikes never slips past a deny.
 *
 * Pure functions, no tables beyond a short confusables map.
 */

/** The characters a plain tool name is made of. */
export const PLAIN_TOOL_NAME = /^[A-Za-z0-9_.:/-]+$/;

/**
 * Common Cyrillic, Greek and Latin-extension look-alikes of Latin letters (a small subset of
 * Unicode TR39's confusables, the ones that pass for ASCII in identifiers). Mapped before case
 * folding, so an uppercase look-alike maps to the letter it imitates (Greek 'Η' → 'H', 'η' → 'n').
 */
const CONFUSABLES: Readonly<Record<string, string>> = {
  // Cyrillic, upper case
  А: 'A', В: 'B', С: 'C', Е: 'E', Н: 'H', І: 'I', Ј: 'J', К: 'K', М: 'M', О: 'O', Р: 'P', Ѕ: 'S', Т: 'T', Х: 'X', У: 'Y', Ү: 'Y', Ԛ: 'Q', Ԝ: 'W',
  // Cyrillic, lower case
  а: 'a', с: 'c', ԁ: 'd', е: 'e', һ: 'h', і: 'i', ј: 'j', к: 'k', о: 'o', р: 'p', ԛ: 'q', ѕ: 's', у: 'y', ү: 'y', х: 'x', ԝ: 'w', ь: 'b',
  // Greek, upper case
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  // Greek, lower case
  α: 'a', γ: 'y', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
  // Latin extensions
  ı: 'i', ȷ: 'j', ɑ: 'a', ɡ: 'g', ɩ: 'i', ʏ: 'y',
};

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\p{M}]/gu;
const CONFUSABLE = new RegExp(`[${Object.keys(CONFUSABLES).join('')}]`, 'gu');

/**
 * The canonical form of a tool name: NFKC (full-width and styled letters become plain ones),
 * combining marks, control, format and default-ignorable (zero-width) characters removed, common
 * Cyrillic/Greek look-alikes replaced by the Latin letters they imitate, lower case, and no
 * surrounding white space. Two names with the same canonical form look the same to a person.
 */
export function canonicalToolName(name: string): string {
  if (PLAIN_TOOL_NAME.test(name)) return name.toLowerCase();
  const stripped = name.normalize('NFKC').normalize('NFD').replace(INVISIBLE, '');
  return stripped
    .replace(CONFUSABLE, (c) => CONFUSABLES[c] as string)
    .toLowerCase()
    .normalize('NFKC')
    .trim();
}

/**
 * Why a tool name is not plain, as a safe description (a code point and a position, never the
 * name's characters); null when it is plain: only `[A-Za-z0-9_.:/-]`, which excludes white space,
 * controls, invisible characters, combining marks, compatibility forms and non-ASCII letters.
 */
export function toolNameProblem(name: string): string | null {
  if (PLAIN_TOOL_NAME.test(name)) return null;
  const chars = Array.from(name);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i] as string;
    if (PLAIN_TOOL_NAME.test(c)) continue;
    const code = `U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
    const at = `at character ${i + 1} of ${chars.length}`;
    if (/\p{White_Space}/u.test(c)) return `${i === 0 || i === chars.length - 1 ? 'leading or trailing' : 'a'} space ${code} ${at}`;
    if (/\p{Cc}/u.test(c)) return `a control character ${code} ${at}`;
    if (/[\p{Cf}\p{Default_Ignorable_Code_Point}]/u.test(c)) return `an invisible character ${code} ${at}`;
    if (/\p{M}/u.test(c)) return `a combining mark ${code} ${at}`;
    if (c.normalize('NFKC') !== c) return `a compatibility (full-width or styled) character ${code} ${at}`;
    if (/[\p{L}\p{N}]/u.test(c)) return `a non-ASCII letter or digit ${code} ${at}`;
    return `the character ${code} ${at}, outside [A-Za-z0-9_.:/-]`;
  }
  return 'an empty name';
}
