import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { GovernanceDenied, ToolFailed } from '../../src/core/errors.js';
import { ToolCallGovernor } from '../../src/adapters/tool-call.js';
import { govern } from '../../src/kernel/govern.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

// A tool that throws hands back text the policy never saw (a secret in an error message is an
// output like any other): the kernel decides it at post_tool, records it, and passes on only
// what the policy lets through.

const SECRET = 'SECRET=sk_live_51HxYz';
const failing = async (_input: { q: string }): Promise<string> => {
  throw new TypeError(`lookup failed with ${SECRET}`);
};

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to throw');
    },
    (error: unknown) => error,
  );
}

describe('a tool that throws', () => {
  it('is decided and recorded even without post_tool rules; the caller gets ToolFailed with its name and message', async () => {
    const audit = new AuditLog();
    const tool = govern(failing, { policy: PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules: []\n'), name: 'lookup', audit });
    const error = await thrown(tool({ q: 'x' }));
    expect(error).toBeInstanceOf(ToolFailed);
    expect(error).toMatchObject({ code: 'ERR_AGT_TOOL_FAILED', errorName: 'TypeError' });
    const entries = audit.entries();
    expect(entries.map((e) => `${e.stage} ${e.verdict}`)).toEqual(['pre_tool allow', 'post_tool allow']);
    expect(entries[1]?.reason).toMatch(/^the tool threw TypeError; /);
    expect(JSON.stringify(entries)).not.toContain(SECRET);
  });

  it('a redaction rule on error.message rewrites what the caller reads', async () => {
    const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: p
default_action: allow
rules:
  - { name: hide-errors, stage: post_tool, condition: "has(output.error)", action: transform, redact: [error.message] }
`);
    const error = await thrown(govern(failing, { policy, name: 'lookup', audit: false })({ q: 'x' }));
    expect(error).toBeInstanceOf(ToolFailed);
    expect((error as ToolFailed).message).toBe('[REDACTED]');
  });

  it('a deny rule on it withholds the error: the caller gets GovernanceDenied, not the text', async () => {
    const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: p
default_action: allow
rules:
  - { name: no-secrets, stage: post_tool, condition: "has(output.error) && output.error.message.contains('SECRET=')", action: deny }
`);
    const error = await thrown(govern(failing, { policy, name: 'lookup', audit: false })({ q: 'x' }));
    expect(error).toBeInstanceOf(GovernanceDenied);
    expect(String((error as Error).message)).not.toContain(SECRET);
  });

  it('through an adapter that owns the call (MCP-style callTool), the error comes back decided', async () => {
    const governor = new ToolCallGovernor({ policy: PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules:\n  - { name: hide, stage: post_tool, action: transform, redact: [error.message] }\n'), audit: false });
    const outcome = await governor.callTool({ tool: 'lookup', args: { q: 'x' } }, () => failing({ q: 'x' }));
    expect(outcome).toMatchObject({ kind: 'failed', error: { name: 'TypeError', message: '[REDACTED]' } });
  });

  it('a thrown value that fights back (a throwing message getter) is still decided, never a crash', async () => {
    const evil = new Error('x');
    Object.defineProperty(evil, 'message', { get: () => { throw Object.create(null); } });
    const tool = govern(async () => { throw evil; }, { policy: PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules: []\n'), name: 't', audit: false });
    expect(await thrown(tool())).toBeInstanceOf(ToolFailed);
  });
});
