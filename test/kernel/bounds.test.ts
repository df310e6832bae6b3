import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: bounds
default_action: allow
rules: []
`);

async function refusal(kernel: Kernel, action: Parameters<Kernel['handle']>[0]): Promise<string> {
  let ran = false;
  const outcome = await kernel.handle(action, () => (ran = true));
  expect(ran).toBe(false);
  expect(outcome.kind).toBe('refused');
  return outcome.kind === 'refused' ? outcome.decision.reason : '';
}

describe('the bounds step: hostile actions are recorded denials, never a crash or a hang', () => {
  it.each([
    ['an unknown point', { point: 'pre_tool_cal' as never, tool: 't' }, /the point is not one of/],
    ['a tool name that is not a string', { tool: 42 as never }, /tool name must be a non-empty string/],
    ['an action type that is not a string', { tool: 't', action: {} as never }, /action type must be a string/],
    ['arguments that are an array', { tool: 't', args: [1, 2] }, /must be a JSON object; got an array/],
    ['arguments that are a string', { tool: 't', args: 'rm -rf /' }, /must be a JSON object; got string/],
    ['a huge argument', { tool: 't', args: { blob: 'x'.repeat(1_100_000) } }, /args\.<key 0>: more than 1048576 bytes/],
    ['parts that fit alone but not together', { tool: 't', args: { a: 'x'.repeat(600_000) }, context: { b: 'y'.repeat(600_000) } }, /the request is more than 1048576 bytes/],
    ['arguments nested past the limit', { tool: 't', args: nested(70) }, /nesting deeper than 63 levels/],
    ['a cyclic context', { tool: 't', context: cyclic() }, /context\.<key 0>: cyclic reference/],
    ['an agent that is a number', { tool: 't', agent: 7 as never }, /agent/],
  ])('%s', async (_name, action, reason) => {
    const audit = new AuditLog();
    const kernel = new Kernel({ policy, audit });
    expect(await refusal(kernel, action)).toMatch(reason);
    expect(audit.entries().map((e) => e.verdict)).toEqual(['deny']);
  });

  it('decides arguments exactly at the depth the evaluator allows', async () => {
    const kernel = new Kernel({ policy, audit: false });
    const outcome = await kernel.handle({ tool: 't', args: nested(62) }, () => 'ran');
    expect(outcome.kind).toBe('output');
  });

  it('an action whose own getters throw is a recorded denial', async () => {
    const audit = new AuditLog();
    const kernel = new Kernel({ policy, audit });
    const action = Object.defineProperty({}, 'tool', {
      enumerable: true,
      get() {
        throw Object.create(null);
      },
    });
    expect(await refusal(kernel, action)).toMatch(/the action could not be read/);
  });

  it('a look-alike tool name is refused before the policy: only plain names are decided', async () => {
    const denyExact = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: lookalike
default_action: deny
allowed_tools: [send_email]
rules:
  - { name: mail, condition: "tool_name == 'send_email'", action: allow }
`);
    const kernel = new Kernel({ policy: denyExact, audit: false });
    // Cyrillic 'е' in place of the Latin 'e'.
    expect(await refusal(kernel, { tool: 'send_\u0435mail', args: {} })).toMatch(/^runtime_error:invalid_request: the tool name is not a plain identifier \(a non-ASCII letter or digit U\+0435 at character 6 of 10\)/);
  });
});

function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) value = { d: value };
  return value;
}

function cyclic(): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  value.self = value;
  return value;
}
