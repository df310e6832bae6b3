import { tokenize, untokenize, type Token } from './tokens.js';

/**
 * Rewrites AGT's Python-style condition dialect into CEL, token by token, never inside strings:
 * `and` → `&&`, `or` → `||`, `not x` → `!(x)`, `a not in b` → `!(a in b)`,
 * `True`/`False`/`None` → `true`/`false`/`null`. Plain CEL passes through unchanged.
 *
 * It also renames the method `.matches(` to `.re2_matches(`: CEL's built-in `matches` in our
 * CEL library runs on backtracking RegExp, and regexes must run in linear time (RE2 semantics,
 * which is what the CEL spec prescribes anyway).
 */
export function rewriteDialect(source: string): { cel: string; tokens: Token[] } {
  let tokens = tokenize(source);
  tokens = rewriteNot(tokens);
  tokens = tokens.map((token, i) => {
    if (token.kind !== 'ident' || isMemberName(tokens, i)) return token;
    const replacement = WORDS[token.text];
    return replacement ? { ...token, text: replacement, kind: replacement === '&&' || replacement === '||' ? 'op' : 'ident' } : token;
  });
  tokens = tokens.map((token, i) =>
    token.kind === 'ident' && token.text === 'matches' && isMemberName(tokens, i) && tokens[i + 1]?.text === '('
      ? { ...token, text: RE2_METHOD }
      : token,
  );
  return { cel: untokenize(tokens), tokens };
}

/** The name our linear-time `matches` method is registered under. */
export const RE2_METHOD = 're2_matches';

const WORDS: Readonly<Record<string, string>> = { and: '&&', or: '||', True: 'true', False: 'false', None: 'null' };

function isMemberName(tokens: readonly Token[], i: number): boolean {
  return i > 0 && tokens[i - 1]?.text === '.';
}

const OPEN = new Set(['(', '[', '{']);
const CLOSE = new Set([')', ']', '}']);
/** Operators that bind looser than (or as loosely as) `in`: an operand never spans them. */
const RELATIONAL = new Set(['==', '!=', '<', '<=', '>', '>=']);
const LOGICAL = new Set(['&&', '||', 'and', 'or', '?', ':', ',']);

function isNotKeyword(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  return t !== undefined && t.kind === 'ident' && t.text === 'not' && !isMemberName(tokens, i);
}

/** Rewrites every `not` (unary, or the `not in` operator), innermost-last, until none remain. */
function rewriteNot(input: Token[]): Token[] {
  let tokens = input;
  for (let guard = 0; guard < 10_000; guard++) {
    const i = tokens.findIndex((_, k) => isNotKeyword(tokens, k));
    if (i < 0) return tokens;
    const next = tokens[i + 1];
    if (next && next.kind === 'ident' && next.text === 'in') {
      const left = operandStart(tokens, i - 1);
      const right = operandEnd(tokens, i + 2, true);
      tokens = [
        ...tokens.slice(0, left),
        op('!', tokens[left]?.space ?? ''),
        op('(', ''),
        ...withoutLeadingSpace(tokens.slice(left, i)),
        { kind: 'ident', text: 'in', space: ' ' },
        ...tokens.slice(i + 2, right),
        op(')', ''),
        ...tokens.slice(right),
      ];
    } else {
      const end = operandEnd(tokens, i + 1, false);
      tokens = [
        ...tokens.slice(0, i),
        op('!', tokens[i]?.space ?? ''),
        op('(', ''),
        ...withoutLeadingSpace(tokens.slice(i + 1, end)),
        op(')', ''),
        ...tokens.slice(end),
      ];
    }
  }
  return tokens;
}

function op(text: string, space: string): Token {
  return { kind: 'op', text, space };
}

function withoutLeadingSpace(tokens: Token[]): Token[] {
  const [first, ...rest] = tokens;
  return first ? [{ ...first, space: '' }, ...rest] : [];
}

/** Index of the first token of the operand that ends at `from` (scanning left). */
function operandStart(tokens: readonly Token[], from: number): number {
  let depth = 0;
  let k = from;
  for (; k >= 0; k--) {
    const t = tokens[k] as Token;
    if (CLOSE.has(t.text)) depth++;
    else if (OPEN.has(t.text)) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (LOGICAL.has(t.text) || RELATIONAL.has(t.text) || (t.kind === 'ident' && t.text === 'in'))) break;
  }
  return k + 1;
}

/**
 * Index just past the operand that starts at `from` (scanning right). A `not in` right operand
 * stops at relational operators; a unary `not` operand does not (Python's `not` binds looser
 * than comparisons: `not a == b` is `not (a == b)`).
 */
function operandEnd(tokens: readonly Token[], from: number, stopAtRelational: boolean): number {
  let depth = 0;
  let k = from;
  for (; k < tokens.length; k++) {
    const t = tokens[k] as Token;
    if (OPEN.has(t.text)) depth++;
    else if (CLOSE.has(t.text)) {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && (LOGICAL.has(t.text) || (stopAtRelational && (RELATIONAL.has(t.text) || (t.kind === 'ident' && t.text === 'in'))))) break;
  }
  return k;
}
