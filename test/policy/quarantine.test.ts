/**
 * The policy's `quarantine:` section: the tools a quarantined agent may still call. Exact names
 * or globs, strictest-wins across documents (every document with the section must allow the
 * tool) and `extends` (a child narrows, never widens), located errors for anything misspelt.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { loadPolicies } from '../../src/policy/loader.js';
import { issuesOf } from './policy-issues.js';

const HEAD = 'apiVersion: governance.toolkit/v1\nname: p\n';
const dir = mkdtempSync(join(tmpdir(), 'agt-quarantine-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('quarantine: the allow-list', () => {
  it('names and globs, matched exactly; absent, nothing is allowed', () => {
    const evaluator = PolicyEvaluator.fromYaml(`${HEAD}quarantine:\n  allow: [search, '*.read']\n`);
    expect(['search', 'crm.read', 'db.read'].map((t) => evaluator.quarantineAllows(t))).toEqual([true, true, true]);
    expect(['Search', 'searches', 'db.write', 'read', 'crm.read.x', 'CRM.READ'].map((t) => evaluator.quarantineAllows(t))).toEqual([false, false, false, false, false, false]);
    expect(PolicyEvaluator.fromYaml(`${HEAD}default_action: allow\n`).quarantineAllows('search')).toBe(false);
  });

  it('across documents, every document that has the section must allow the tool', () => {
    const policies = [
      { apiVersion: 'governance.toolkit/v1', name: 'a', quarantine: { allow: ['search', 'db.read'] } },
      { apiVersion: 'governance.toolkit/v1', name: 'b', quarantine: { allow: ['*.read'] } },
      { apiVersion: 'governance.toolkit/v1', name: 'c' },
    ];
    const evaluator = new PolicyEvaluator({ policies });
    expect(evaluator.quarantineAllows('db.read')).toBe(true);
    expect(evaluator.quarantineAllows('search')).toBe(false); // b does not allow it
    expect(evaluator.quarantineAllows('crm.read')).toBe(false); // a does not allow it
  });

  it('an extends child narrows its parent\'s list and cannot widen it', () => {
    writeFileSync(join(dir, 'base.yaml'), `${HEAD.replace('name: p', 'name: base')}quarantine:\n  allow: ['db.*', search]\n`);
    writeFileSync(join(dir, 'child.yaml'), `${HEAD.replace('name: p', 'name: child')}extends: ./base.yaml\nquarantine:\n  allow: [db.read, '*.read', email]\n`);
    const evaluator = loadPolicies(join(dir, 'child.yaml'));
    expect(evaluator.quarantineAllows('db.read')).toBe(true);
    expect(evaluator.quarantineAllows('crm.read')).toBe(false); // '*.read' reaches beyond the parent's db.*
    expect(evaluator.quarantineAllows('email')).toBe(false);
    expect(evaluator.quarantineAllows('search')).toBe(false); // the child narrowed it away
    writeFileSync(join(dir, 'silent.yaml'), `${HEAD.replace('name: p', 'name: silent')}extends: ./base.yaml\n`);
    expect(loadPolicies(join(dir, 'silent.yaml')).quarantineAllows('search')).toBe(true); // inherited as is
  });

  it('changes the policy revision', () => {
    expect(PolicyEvaluator.fromYaml(`${HEAD}quarantine:\n  allow: [a]\n`).revision).not.toBe(PolicyEvaluator.fromYaml(`${HEAD}quarantine:\n  allow: [b]\n`).revision);
  });
});

describe('quarantine: errors are located, with a fix', () => {
  it('an unknown key, with did-you-mean', () => {
    const issues = issuesOf(`${HEAD}quarantine:\n  alow: [search]\n`);
    expect(issues.find((i) => i.code === 'unknown-key')).toMatchObject({ file: 'policy.yaml', line: 4, code: 'unknown-key', key: 'quarantine.alow', hint: "did you mean 'allow'?" });
  });

  it('a list that is not a list of names', () => {
    for (const value of ['search', '[1]', "['']", '{ a: 1 }']) {
      const [issue] = issuesOf(`${HEAD}quarantine:\n  allow: ${value}\n`);
      expect(issue, value).toMatchObject({ line: 4, key: expect.stringMatching(/^quarantine\.allow/) });
    }
  });
});
