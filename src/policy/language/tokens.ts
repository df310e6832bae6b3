/**
 * A string-aware tokenizer for condition source. It understands just enough of CEL's lexical
 * grammar (string forms, identifiers, numbers, operators) that rewrites never touch text inside
 * a string literal. It does not validate: CEL's own parser does that afterwards.
 */

export type TokenKind = 'ident' | 'string' | 'number' | 'op';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Whitespace that preceded the token in the source, kept so rewrites preserve layout. */
  space: string;
}

const TWO_CHAR_OPS = new Set(['&&', '||', '==', '!=', '<=', '>=']);

/** Splits `source` into tokens. Unterminated strings run to the end (CEL reports them). */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let space = '';
  while (i < source.length) {
    const c = source[i] as string;
    if (/\s/.test(c)) {
      space += c;
      i++;
      continue;
    }
    const start = i;
    let kind: TokenKind;
    if (isStringStart(source, i)) {
      i = scanString(source, i);
      kind = 'string';
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < source.length && /[A-Za-z0-9_]/.test(source[i] as string)) i++;
      kind = 'ident';
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(source[i + 1] ?? ''))) {
      i++;
      while (i < source.length && /[0-9A-Za-z_.]/.test(source[i] as string)) {
        // exponent signs belong to the number: 1e-5
        if ((source[i] === 'e' || source[i] === 'E') && (source[i + 1] === '-' || source[i + 1] === '+')) i++;
        i++;
      }
      kind = 'number';
    } else {
      i += TWO_CHAR_OPS.has(source.slice(i, i + 2)) ? 2 : 1;
      kind = 'op';
    }
    tokens.push({ kind, text: source.slice(start, i), space });
    space = '';
  }
  return tokens;
}

/** Joins tokens back into source text. */
export function untokenize(tokens: readonly Token[]): string {
  return tokens.map((t) => t.space + t.text).join('');
}

function isStringStart(s: string, i: number): boolean {
  const c = s[i];
  if (c === '"' || c === "'") return true;
  // raw and bytes prefixes: r'..', R"..", b'..', rb'..', br'..' (any case)
  const m = /^([rRbB]{1,2})["']/.exec(s.slice(i, i + 3));
  return m !== null && (i === 0 || !/[A-Za-z0-9_]/.test(s[i - 1] as string));
}

function scanString(s: string, i: number): number {
  let raw = false;
  while (s[i] !== '"' && s[i] !== "'") {
    if (s[i] === 'r' || s[i] === 'R') raw = true;
    i++;
  }
  const quote = s[i] as string;
  const triple = s.slice(i, i + 3) === quote.repeat(3);
  const close = triple ? quote.repeat(3) : quote;
  i += close.length;
  while (i < s.length) {
    if (!raw && s[i] === '\\') {
      i += 2;
      continue;
    }
    if (s.startsWith(close, i)) return i + close.length;
    if (!triple && s[i] === '\n') return i;
    i++;
  }
  return i;
}
