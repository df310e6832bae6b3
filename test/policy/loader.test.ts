import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyLoadError } from '../../src/core/errors.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { loadPolicies, loadPoliciesSync } from '../../src/policy/loader.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'agt-policies-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), text);
  }
  return root;
}

const doc = (name: string, body = 'rules: []\n') => `apiVersion: governance.toolkit/v1\nname: ${name}\n${body}`;

function loadError(path: string): PolicyLoadError {
  try {
    loadPoliciesSync(path);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyLoadError);
    return error as PolicyLoadError;
  }
  throw new Error('expected a load error');
}

describe('loadPolicies', () => {
  it('is synchronous: it returns the evaluator, not a promise of one (loading has nothing to wait for)', () => {
    const root = tree({ 'p.yaml': doc('p', 'default_action: allow\nrules: []\n') });
    const evaluator = loadPolicies(join(root, 'p.yaml'));
    expect(evaluator).toBeInstanceOf(PolicyEvaluator);
    expect(evaluator.evaluate({ tool_name: 'x' }).verdict).toBe('allow');
    expect(loadPoliciesSync).toBe(loadPolicies);
  });

  it('loads one file', async () => {
    const root = tree({ 'p.yaml': doc('p', 'default_action: allow\nrules: []\n') });
    const evaluator = loadPolicies(join(root, 'p.yaml'));
    expect(evaluator.evaluate({ tool_name: 'x' }).verdict).toBe('allow');
  });

  it('loads every policy file of a directory in name order, skipping policy test files', async () => {
    const root = tree({
      'b.yml': doc('second', 'default_action: allow\nrules: []\n'),
      'a.yaml': doc('first', 'default_action: allow\nrules:\n  - { name: no-shell, condition: "tool_name == \'shell\'", action: deny }\n'),
      'c.json': JSON.stringify({ apiVersion: 'governance.toolkit/v1', name: 'third', default_action: 'allow', rules: [] }),
      'a.test.yaml': 'cases: []\n',
      'notes.txt': 'ignored',
    });
    const evaluator = loadPolicies(root);
    expect(evaluator.policyNames).toEqual(['first', 'second', 'third']);
    expect(evaluator.evaluate({ tool_name: 'shell' })).toMatchObject({ verdict: 'deny', policy: 'first' });
  });

  it('denies when any applicable document defaults to deny', async () => {
    const root = tree({ 'a.yaml': doc('open', 'default_action: allow\nrules: []\n'), 'b.yaml': doc('closed', 'default_action: deny\nrules: []\n') });
    expect((loadPolicies(root)).evaluate({ tool_name: 'x' })).toMatchObject({ verdict: 'deny', policy: 'closed' });
  });

  it('resolves extends relative to the file: parent rules first, child settings win, denials accumulate', async () => {
    const root = tree({
      'base/common.yaml': doc('common', 'default_action: deny\ndenied_tools: [shell]\nrules:\n  - { name: no-drop, condition: "action.type == \'drop\'", action: deny }\n'),
      'app.yaml': doc('app', 'extends: base/common.yaml\ndefault_action: allow\ndenied_tools: [curl]\nrules:\n  - { name: read-ok, condition: "action.type == \'read\'", action: allow }\n'),
    });
    const evaluator = loadPolicies(root);
    expect(evaluator.policyNames).toEqual(['app']); // the base is merged, not applied on its own
    expect(evaluator.evaluate({ tool_name: 'db', action: 'drop' }).rule).toBe('no-drop');
    expect(evaluator.evaluate({ tool_name: 'shell' }).rule).toBe('denied_tools');
    expect(evaluator.evaluate({ tool_name: 'curl' }).rule).toBe('denied_tools');
    expect(evaluator.evaluate({ tool_name: 'db', action: 'write' }).verdict).toBe('allow');
  });

  it('accepts a list of parents, applied in order', async () => {
    const root = tree({
      'p1.yaml': doc('p1', 'rules:\n  - { name: r1, action: deny, condition: "tool_name == \'a\'" }\n'),
      'p2.yaml': doc('p2', 'rules:\n  - { name: r2, action: deny, condition: "tool_name == \'b\'" }\n'),
      'child.yaml': doc('child', 'extends: [p1.yaml, p2.yaml]\ndefault_action: allow\nrules: []\n'),
    });
    const evaluator = loadPoliciesSync(join(root, 'child.yaml'));
    expect(evaluator.evaluate({ tool_name: 'a' }).rule).toBe('r1');
    expect(evaluator.evaluate({ tool_name: 'b' }).rule).toBe('r2');
  });

  it('rejects extends cycles, naming the cycle', () => {
    const root = tree({ 'a.yaml': doc('a', 'extends: b.yaml\nrules: []\n'), 'b.yaml': doc('b', 'extends: a.yaml\nrules: []\n') });
    expect(loadError(join(root, 'a.yaml')).message).toMatch(/extends cycle: a.yaml → b.yaml → a.yaml/);
    const self = tree({ 's.yaml': doc('s', 'extends: ./s.yaml\nrules: []\n') });
    expect(loadError(self).message).toMatch(/extends cycle/);
  });

  it('keeps extends inside the policy directory', () => {
    const outside = tree({ 'evil.yaml': doc('evil', 'default_action: allow\nrules: []\n') });
    const root = tree({ 'p.yaml': doc('p', `extends: ${join(outside, 'evil.yaml')}\nrules: []\n`), 'q.yaml': doc('q', 'extends: ../../etc/passwd\nrules: []\n') });
    const error = loadError(root);
    expect(error.message).toMatch(/p.yaml:3:10: extends: extends '.*evil.yaml' leaves the policy directory/);
    expect(error.message).toMatch(/extends '..\/..\/etc\/passwd'/);
  });

  it('reports a missing parent with its location', () => {
    const root = tree({ 'p.yaml': doc('p', 'extends: nowhere.yaml\nrules: []\n') });
    expect(loadError(root).message).toMatch(/p.yaml:3:10: extends: extends 'nowhere.yaml': no such file/);
  });

  it('rejects a child rule that reuses a parent rule name, located in the child', () => {
    const root = tree({
      'base.yaml': doc('base', 'rules:\n  - { name: same, action: deny }\n'),
      'app.yaml': doc('app', 'extends: base.yaml\nrules:\n  - { name: same, action: allow }\n'),
    });
    expect(loadError(root).message).toMatch(/app.yaml:5:.*rule 'same' is already defined by the parent policy/);
  });

  it('locates condition errors in the file that holds the rule', () => {
    const root = tree({
      'base.yaml': doc('base', 'rules:\n  - name: bad\n    condition: "tool_name =="\n    action: deny\n'),
      'app.yaml': doc('app', 'extends: base.yaml\nrules: []\n'),
    });
    expect(loadError(join(root, 'app.yaml')).message).toMatch(/base.yaml:5:16: rules.0.condition: rule 'bad'/);
  });

  it('reports missing paths and empty directories clearly', () => {
    expect(loadError('/definitely/not/here.yaml').message).toMatch(/no such file or directory/);
    expect(loadError(tree({ 'readme.md': '#' })).message).toMatch(/no policy files/);
  });
});
