import { describe, expect, it } from 'vitest';
import { globMatches } from '../../src/core/glob.js';
import { firstUncoveredGlob, globsCover } from '../../src/identity/tool-globs.js';

describe('tool glob subsets (delegation attenuation)', () => {
  it('matches names with the glob semantics policies use (prefix.* also matches prefix)', () => {
    const cases: [string, string, boolean][] = [
      ['*', '', true], ['crm.*', 'crm', true], ['crm.*', 'crm.read', true], ['crm.*', 'crmx', false], ['crm', 'crm.read', false],
      ['crm.*.read', 'crm.x.read', true], ['*.read', 'crm.read', true], ['a*b*c', 'aXbYc', true], ['a*b*c', 'ab', false], ['x*', 'x', true],
    ];
    for (const [pattern, name, expected] of cases) expect(globMatches(pattern, name), `${pattern} ~ ${name}`).toBe(expected);
  });

  it('covers what is certainly inside a parent glob', () => {
    const covered: [string[], string][] = [
      [['*'], 'anything.*'], [['crm.*'], 'crm.*'], [['crm.*'], 'crm.read'], [['crm.*'], 'crm'], [['crm.*'], 'crm.read.*'], [['crm.*'], 'crm.re*'],
      [['cr*'], 'crm.*'], [['search', 'crm.*'], 'search'], [['*.read'], 'crm.read'],
    ];
    for (const [parents, child] of covered) expect(globsCover(parents, child), `${parents} ⊇ ${child}`).toBe(true);
  });

  it('refuses what widens, and what it cannot be sure of', () => {
    const refused: [string[], string][] = [
      [['crm.*'], '*'], [['crm.*'], 'crm*'], [['crm.*'], 'db.read'], [['crm.read'], 'crm.*'], [['crm.*'], 'cr*'], [['search'], 'search*'],
      [['*.read'], '*.read'.replace('*', 'x*')], // x*.read is inside *.read, but the rule is conservative
      [['crm.*.read'], 'crm.a*.read'], [[], 'crm.read'],
    ];
    for (const [parents, child] of refused) expect(globsCover(parents, child), `${parents} ⊉ ${child}`).toBe(false);
    expect(firstUncoveredGlob(['crm.*'], ['crm.read', 'db.*'])).toBe(2);
    expect(firstUncoveredGlob(['crm.*'], ['crm.read'])).toBe(0);
  });

  it('never says yes when some name matches the child but not the parent (exhaustive over a small alphabet)', () => {
    const globs = ['*', 'a', 'a*', 'a.*', 'a.b', 'a.b*', '*b', 'a*b', '*.*', 'ab', 'b*', 'a.*.b'];
    const alphabet = ['a', 'b', '.'];
    const names = [''];
    for (let length = 1; length <= 5; length++) for (const prefix of names.filter((n) => n.length === length - 1)) for (const c of alphabet) names.push(prefix + c);
    for (const parent of globs) {
      for (const child of globs) {
        if (!globsCover([parent], child)) continue;
        for (const name of names) if (globMatches(child, name)) expect(globMatches(parent, name), `${parent} ⊇ ${child}, yet ${name}`).toBe(true);
      }
    }
  });
});
