import type { Token } from './tokens.js';

/**
 * Literal values a condition requires, found by shape: `tool_name == 'x'`, `'x' == tool_name`,
 * `tool_name in ['x', 'y']` (and the same for `action.type`) as a top-level conjunct. The rule
 * index uses them to skip rules that cannot match. Anything less obvious is simply not pinned.
 */
export interface Pins {
  field: 'tool_name' | 'action.type';
  values: string[];
  /** The whole condition is this pin: being in the bucket proves it true, no evaluation needed. */
  exact: boolean;
}

type Decode = (literal: string) => string | null;

/** The pin of a condition's tokens (after the dialect rewrite), or null when nothing is provably pinned. */
export function extractPins(tokens: readonly Token[], decode: Decode): Pins | null {
  const body = stripParens(tokens);
  if (hasTopLevel(body, (t) => t.text === '||' || t.text === '?')) return null;
  const conjuncts = splitTopLevel(body, '&&').map(stripParens);
  let found: Pins | null = null;
  for (const conjunct of conjuncts) {
    const pin = matchPin(conjunct, decode);
    if (!pin) continue;
    // Prefer a tool_name pin; it is what requests always carry.
    if (!found || (found.field === 'action.type' && pin.field === 'tool_name')) found = pin;
  }
  if (found) found.exact = conjuncts.length === 1;
  return found;
}

function matchPin(tokens: readonly Token[], decode: Decode): Pins | null {
  const fieldLength = (at: number): { field: Pins['field']; length: number } | null => {
    const t = tokens[at];
    if (t?.kind !== 'ident') return null;
    if (t.text === 'tool_name' && tokens[at - 1]?.text !== '.') return { field: 'tool_name', length: 1 };
    if (t.text === 'action' && tokens[at + 1]?.text === '.' && tokens[at + 2]?.text === 'type') {
      return { field: 'action.type', length: 3 };
    }
    return null;
  };
  const head = fieldLength(0);
  if (head) {
    const rest = tokens.slice(head.length);
    if (rest.length === 2 && rest[0]?.text === '==' && rest[1]?.kind === 'string') {
      const value = decode(rest[1].text);
      return value === null ? null : { field: head.field, values: [value], exact: false };
    }
    if (rest[0]?.kind === 'ident' && rest[0].text === 'in') {
      const values = literalList(rest.slice(1), decode);
      return values ? { field: head.field, values, exact: false } : null;
    }
    return null;
  }
  // 'x' == tool_name
  if (tokens[0]?.kind === 'string' && tokens[1]?.text === '==') {
    const tail = fieldLength(2);
    if (tail && tokens.length === 2 + tail.length) {
      const value = decode(tokens[0].text);
      return value === null ? null : { field: tail.field, values: [value], exact: false };
    }
  }
  return null;
}

/** `[ 'a', "b", ]` → ['a', 'b']; null unless every element is a string literal. */
function literalList(tokens: readonly Token[], decode: Decode): string[] | null {
  if (tokens[0]?.text !== '[' || tokens[tokens.length - 1]?.text !== ']') return null;
  const values: string[] = [];
  for (let i = 1; i < tokens.length - 1; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'string') {
      const value = decode(t.text);
      if (value === null) return null;
      values.push(value);
      const next = tokens[i + 1]?.text;
      if (next !== ',' && next !== ']') return null;
    } else if (t.text !== ',') {
      return null;
    }
  }
  return values.length > 0 ? values : null;
}

function stripParens(tokens: readonly Token[]): readonly Token[] {
  let current = tokens;
  while (current.length >= 2 && current[0]?.text === '(' && current[current.length - 1]?.text === ')' && closesAtEnd(current)) {
    current = current.slice(1, -1);
  }
  return current;
}

/** True when the '(' at 0 is closed by the last token (not `(a) && (b)`). */
function closesAtEnd(tokens: readonly Token[]): boolean {
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]?.text;
    if (t === '(' || t === '[' || t === '{') depth++;
    else if (t === ')' || t === ']' || t === '}') {
      depth--;
      if (depth === 0 && i < tokens.length - 1) return false;
    }
  }
  return true;
}

function hasTopLevel(tokens: readonly Token[], test: (t: Token) => boolean): boolean {
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    else if (depth === 0 && test(t)) return true;
  }
  return false;
}

function splitTopLevel(tokens: readonly Token[], separator: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if (t.text === ')' || t.text === ']' || t.text === '}') depth--;
    if (depth === 0 && t.text === separator) parts.push([]);
    else (parts[parts.length - 1] as Token[]).push(t);
  }
  return parts;
}

/**
 * Every string literal a condition compares `tool_name` with, anywhere in it (not only in a
 * top-level conjunct): `tool_name == 'x'`, `'x' == tool_name`, `tool_name != 'x'`,
 * `tool_name in ['x', 'y']`. These are tool names the policy names: a request whose name differs
 * from one of them only by case or look-alikes is refused as ambiguous (see src/core/tool-name.ts).
 */
export function toolNameLiterals(tokens: readonly Token[], decode: Decode): string[] {
  const names: string[] = [];
  const add = (t: Token | undefined) => {
    if (t?.kind !== 'string') return;
    const value = decode(t.text);
    if (value !== null) names.push(value);
  };
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind !== 'ident' || t.text !== 'tool_name' || tokens[i - 1]?.text === '.') continue;
    const next = tokens[i + 1]?.text;
    const previous = tokens[i - 1]?.text;
    if (next === '==' || next === '!=') add(tokens[i + 2]);
    if (previous === '==' || previous === '!=') add(tokens[i - 2]);
    if (next === 'in' && tokens[i + 2]?.text === '[') {
      for (let k = i + 3; k < tokens.length && tokens[k]?.text !== ']'; k++) add(tokens[k]);
    }
  }
  return names;
}
