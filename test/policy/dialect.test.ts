import { describe, expect, it } from 'vitest';
import { rewriteDialect } from '../../src/policy/language/dialect.js';

const cel = (source: string) => rewriteDialect(source).cel;

describe('AGT Python-style dialect → CEL', () => {
  it.each([
    ["args.rows > 100 and action.type not in ['read']", "args.rows > 100 && !(action.type in ['read'])"],
    ['a == 1 or b == 2', 'a == 1 || b == 2'],
    ['not args.admin', '!(args.admin)'],
    ['not a == b and c', '!(a == b) && c'],
    ['x == True or y == False or z == None', 'x == true || y == false || z == null'],
    ["(tool_name not in ['a', 'b']) and True", "(!(tool_name in ['a', 'b'])) && true"],
    ["args.list[0] not in ['x'] or not (a and b)", "!(args.list[0] in ['x']) || !((a && b))"],
    ['not x not in y', '!(!(x in y))'],
    ["size(args.items) not in [1, 2]", "!(size(args.items) in [1, 2])"],
  ])('%s', (source, expected) => {
    expect(cel(source)).toBe(expected);
  });

  it('leaves plain CEL untouched', () => {
    const source = "action.type in ['drop', 'delete'] && !has(args.force) || args.n >= 2.5";
    expect(cel(source)).toBe(source);
  });

  it('never rewrites inside string literals, in any quoting form', () => {
    expect(cel(`input == 'not and or True' and x == "None or \\"and\\""`)).toBe(`input == 'not and or True' && x == "None or \\"and\\""`);
    expect(cel(`x == '''a and 'b' or c''' or y == r'\\d and'`)).toBe(`x == '''a and 'b' or c''' || y == r'\\d and'`);
  });

  it('does not rewrite field names that happen to be dialect words', () => {
    expect(cel('args.and == 1 and args.not == 2 and args.True')).toBe('args.and == 1 && args.not == 2 && args.True');
  });

  it('routes .matches() to the linear-time implementation', () => {
    expect(cel("args.sql.matches('drop')")).toBe("args.sql.re2_matches('drop')");
    expect(cel("x == 'a.matches(b)'")).toBe("x == 'a.matches(b)'");
  });
});
