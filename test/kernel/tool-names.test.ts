import { describe, expect, it } from 'vitest';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

/**
 * Look-alikes of a denied tool name (hardening issue): each must be refused, both under a
 * `denied_tools` list and under a `tool_name == '...'` deny rule, with `default_action: allow`.
 */
const VARIANTS: [string, string][] = [
  ['a Cyrillic е (U+0435)', 'delet\u0435_file'],
  ['a zero-width space inside', 'delete\u200b_file'],
  ['full-width letters', '\uff44\uff45\uff4c\uff45\uff54\uff45_\uff46\uff49\uff4c\uff45'],
  ['upper case', 'DELETE_FILE'],
  ['a trailing space', 'delete_file '],
  ['a NUL', 'delete_file\u0000'],
  ['a combining accent', 'delete_file\u0301'],
  ['a Ukrainian і (U+0456)', 'delete_f\u0456le'],
  ['a soft hyphen (U+00AD)', 'delete\u00ad_file'],
  ['mixed case', 'Delete_File'],
  ['a leading space', ' delete_file'],
  ['a right-to-left mark', '\u200fdelete_file'],
  ['a non-breaking space', 'delete_file\u00a0'],
];

const DENY_LIST = `apiVersion: governance.toolkit/v1
name: deny-list
default_action: allow
denied_tools: [delete_file]
`;
const DENY_RULE = `apiVersion: governance.toolkit/v1
name: deny-rule
default_action: allow
rules:
  - name: no-delete
    condition: "tool_name == 'delete_file'"
    action: deny
`;
const DENY_GLOB = `apiVersion: governance.toolkit/v1
name: deny-glob
default_action: allow
denied_tools: ["delete_*"]
`;
const DENY_IN = `apiVersion: governance.toolkit/v1
name: deny-in
default_action: allow
rules:
  - name: no-delete
    condition: "tool_name in ['rm', 'delete_file'] || tool_name == 'unlink'"
    action: deny
`;

async function runs(yaml: string, tool: string): Promise<{ ran: boolean; reason: string }> {
  const kernel = new Kernel({ policy: PolicyEvaluator.fromYaml(yaml), audit: false });
  let ran = false;
  const outcome = await kernel.handle({ tool, args: {} }, () => (ran = true));
  return { ran, reason: outcome.kind === 'refused' ? outcome.decision.reason : '' };
}

describe('tool names: a look-alike of a denied name never passes', () => {
  for (const [label, yaml] of [
    ['denied_tools', DENY_LIST],
    ["a tool_name == '...' deny rule", DENY_RULE],
    ['a denied_tools glob', DENY_GLOB],
    ['a tool_name in [...] deny rule inside ||', DENY_IN],
  ] as const) {
    it.each(VARIANTS)(`${label}: %s is refused`, async (_what, name) => {
      const { ran, reason } = await runs(yaml, name);
      expect(ran).toBe(false);
      expect(reason).not.toBe('');
    });
    it(`${label}: the exact name is refused and an unrelated name runs`, async () => {
      expect((await runs(yaml, 'delete_file')).ran).toBe(false);
      expect((await runs(yaml, 'read_file')).ran).toBe(true);
    });
  }

  it('a name that is not plain is refused at the bounds step, with a description and not the name', async () => {
    const { reason } = await runs(DENY_LIST, 'delet\u0435_file');
    expect(reason).toMatch(/^runtime_error:invalid_request: the tool name is not a plain identifier \(/);
    expect(reason).toContain('U+0435');
    expect(reason).not.toContain('\u0435');
    for (const [, name] of VARIANTS) {
      const refused = await runs(DENY_LIST, name);
      for (const ch of name) if (ch.codePointAt(0)! > 0x7e || ch.codePointAt(0)! < 0x20) expect(refused.reason).not.toContain(ch);
    }
  });

  it('a name differing from a listed name only by case is refused as ambiguous', async () => {
    const { reason } = await runs(DENY_RULE, 'DELETE_FILE');
    expect(reason).toMatch(/runtime_error:invalid_request: .*only by case/);
  });

  it('an allow list does not admit a case variant of a listed name', async () => {
    const yaml = `apiVersion: governance.toolkit/v1
name: allow-list
default_action: deny
allowed_tools: [send_email]
`;
    expect((await runs(yaml, 'send_email')).ran).toBe(true);
    expect((await runs(yaml, 'Send_Email')).ran).toBe(false);
  });

  it('plain names of every shape in use still run: camelCase, dotted, MCP and namespaced names', async () => {
    for (const name of ['sendEmail', 'deleteFile', 'lookup_customer', 'db', 'fs.read_file', 'github:create_issue', 'mcp/server/tool', 'a-b', 'Search2']) {
      expect((await runs(DENY_LIST, name)).ran, name).toBe(true);
    }
  });

  it('the policy layer alone (no kernel) also refuses case and look-alike variants of a denied name', () => {
    const policy = PolicyEvaluator.fromYaml(DENY_LIST);
    for (const [, name] of VARIANTS) {
      expect(policy.evaluate({ stage: 'pre_tool', tool_name: name, args: {} } as never).verdict, name).toBe('deny');
    }
  });
});
