/**
 * The policy's `tools:` section: per-tool requirements by name or glob, combined strictest-wins
 * across entries, documents and `extends`, with located errors for anything misspelt.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_REQUIREMENTS } from '../../src/policy/compile/tool-requirements.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { loadPolicies } from '../../src/policy/loader.js';
import { issuesOf } from './policy-issues.js';

const HEAD = 'apiVersion: governance.toolkit/v1\nname: p\n';
const dir = mkdtempSync(join(tmpdir(), 'agt-tools-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('tools: per-tool requirements', () => {
  it('defaults to session and no minimum; a tool no entry names requires nothing', () => {
    const evaluator = PolicyEvaluator.fromYaml(`${HEAD}tools:\n  transfer_funds: { verify: full }\n`);
    expect(evaluator.requirementsFor('transfer_funds')).toMatchObject({ verify: 'full', minTrust: 0 });
    expect(evaluator.requirementsFor('crm.read')).toBe(NO_REQUIREMENTS);
    expect(NO_REQUIREMENTS).toEqual({ verify: 'session', minTrust: 0, ring: 2, readOnly: false });
    expect(PolicyEvaluator.fromYaml(HEAD).requirementsFor('anything')).toBe(NO_REQUIREMENTS);
  });

  it('matches globs as allowed_tools does (db.* also names db), and combines every matching entry strictest-wins', () => {
    const evaluator = PolicyEvaluator.fromYaml(`${HEAD}tools:\n  'db.*': { min_trust: 600 }\n  db.drop: { verify: full, min_trust: 300 }\n  '*': { min_trust: 100 }\n`);
    expect(evaluator.requirementsFor('db.read')).toMatchObject({ verify: 'session', minTrust: 600 });
    expect(evaluator.requirementsFor('db')).toMatchObject({ verify: 'session', minTrust: 600 });
    expect(evaluator.requirementsFor('db.drop')).toMatchObject({ verify: 'full', minTrust: 600 });
    expect(evaluator.requirementsFor('crm.read')).toMatchObject({ verify: 'session', minTrust: 100 });
    expect(evaluator.requirementsFor('dbx')).toMatchObject({ verify: 'session', minTrust: 100 });
  });

  it('gives a look-alike of a guarded name (case, homoglyph) the guarded name\'s requirements, never fewer', () => {
    const evaluator = PolicyEvaluator.fromYaml(`${HEAD}tools:\n  transfer_funds: { verify: full }\n`);
    expect(evaluator.requirementsFor('Transfer_Funds').verify).toBe('full');
    expect(evaluator.requirementsFor('tr\u0430nsfer_funds').verify).toBe('full'); // Cyrillic а
  });

  it('is answered from a cache: the same frozen object for the same tool', () => {
    const evaluator = PolicyEvaluator.fromYaml(`${HEAD}tools:\n  'db.*': { min_trust: 600 }\n`);
    const first = evaluator.requirementsFor('db.read');
    expect(evaluator.requirementsFor('db.read')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // Hostile tool names cannot grow the cache without bound.
    for (let i = 0; i < 20_000; i++) evaluator.requirementsFor(`db.t${i}`);
    expect(evaluator.requirementsFor('db.t19999')).toMatchObject({ verify: 'session', minTrust: 600 });
  });

  it('combines several documents strictest-wins, whatever their order', () => {
    const a = { apiVersion: 'governance.toolkit/v1', name: 'a', tools: { 'db.*': { min_trust: 400, verify: 'full' } } };
    const b = { apiVersion: 'governance.toolkit/v1', name: 'b', tools: { 'db.*': { min_trust: 700, verify: 'session' } } };
    for (const policies of [[a, b], [b, a]]) {
      expect(new PolicyEvaluator({ policies }).requirementsFor('db.read')).toMatchObject({ verify: 'full', minTrust: 700 });
    }
  });

  it('an extends child cannot loosen its parent\'s entry for the same key, and adds its own', () => {
    writeFileSync(join(dir, 'base.yaml'), `${HEAD.replace('name: p', 'name: base')}tools:\n  transfer_funds: { verify: full, min_trust: 500 }\n`);
    writeFileSync(join(dir, 'child.yaml'), `${HEAD.replace('name: p', 'name: child')}extends: ./base.yaml\ntools:\n  transfer_funds: { verify: session, min_trust: 800 }\n  db.read: { min_trust: 200 }\n`);
    const evaluator = loadPolicies(join(dir, 'child.yaml'));
    expect(evaluator.requirementsFor('transfer_funds')).toMatchObject({ verify: 'full', minTrust: 800 });
    expect(evaluator.requirementsFor('db.read')).toMatchObject({ verify: 'session', minTrust: 200 });
  });

  it('changes the policy revision', () => {
    expect(PolicyEvaluator.fromYaml(`${HEAD}tools:\n  x: { min_trust: 1 }\n`).revision).not.toBe(PolicyEvaluator.fromYaml(`${HEAD}tools:\n  x: { min_trust: 2 }\n`).revision);
  });
});

describe('tools: errors are located, with a fix', () => {
  it('an unknown key, with did-you-mean', () => {
    const [issue] = issuesOf(`${HEAD}tools:\n  transfer_funds:\n    min_trsut: 600\n`);
    expect(issue).toMatchObject({ file: 'policy.yaml', line: 5, column: 5, code: 'unknown-key', key: 'tools.transfer_funds.min_trsut', hint: "did you mean 'min_trust'?" });
  });

  it('a misspelt verification level, with did-you-mean', () => {
    const [issue] = issuesOf(`${HEAD}tools:\n  transfer_funds: { verify: ful }\n`);
    expect(issue).toMatchObject({ line: 4, key: 'tools.transfer_funds.verify', code: 'invalid-value', hint: "did you mean 'full'?" });
  });

  it('a minimum outside 0..1000 or not whole', () => {
    for (const value of ['1001', '-1', '2.5', '"high"']) {
      const [issue] = issuesOf(`${HEAD}tools:\n  db.read: { min_trust: ${value} }\n`);
      expect(issue).toMatchObject({ line: 4, key: 'tools.db.read.min_trust', code: 'invalid-value' });
    }
  });

  it('an entry that is not a mapping, and an empty tool name', () => {
    expect(issuesOf(`${HEAD}tools:\n  db.read: full\n`)[0]).toMatchObject({ line: 4, key: 'tools.db.read' });
    expect(issuesOf(`${HEAD}tools:\n  '': { verify: full }\n`).length).toBeGreaterThan(0);
  });
});
