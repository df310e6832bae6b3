import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { GovernanceDenied } from '../../src/core/errors.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { sandboxTool } from '../../src/kernel/sandbox-tool.js';

// A real policy, a real kernel and the real bubblewrap: the policy decides before anything runs.
const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: sandbox-tool
default_action: deny
rules:
  - name: python-only
    condition: "tool_name == 'sandbox.run' && args.language == 'python'"
    action: allow
  - name: no-shell
    condition: "tool_name == 'sandbox.run' && args.language == 'bash'"
    action: deny
    description: "Shell code is not allowed"
`);

describe('sandboxTool(): the sandbox as a governed tool', () => {
  it('runs what the policy allows, under the factory profile', async () => {
    const audit = new AuditLog();
    const run = sandboxTool({ policy, audit, profile: 'ring3' });
    const outcome = await run({ language: 'python', code: 'print(6 * 7)' });
    expect(outcome).toMatchObject({ outcome: 'ran', exitCode: 0, stdout: '42\n', profile: 'ring3' });
    expect(audit.entries().map((e) => [e.tool, e.verdict, e.rule])).toEqual([['sandbox.run', 'allow', 'python-only']]);
  });

  it('a denied call never reaches the sandbox', async () => {
    const run = sandboxTool({ policy, audit: false });
    await expect(run({ language: 'bash', code: 'echo hi' })).rejects.toThrow(GovernanceDenied);
    await expect(run({ language: 'bash', code: 'echo hi' })).rejects.toThrow(/Shell code is not allowed/);
  });

  it('the agent cannot pick its own profile or work dir', async () => {
    const run = sandboxTool({ policy, audit: false, profile: 'ring3' });
    const outcome = await run({ language: 'python', code: 'import socket\nsocket.create_connection(("1.1.1.1", 53), timeout=1)', profile: 'ring1', workdir: '/' } as never);
    expect(outcome).toMatchObject({ outcome: 'ran', profile: 'ring3' });
    expect(outcome.outcome === 'ran' && outcome.stderr).toMatch(/OSError|unreachable/);
  });

  it('a bad request comes back as the sandbox refusal, so the agent reads why', async () => {
    const run = sandboxTool({ policy, audit: false });
    const outcome = await run({ language: 'python', code: 'print(1)', env: { LD_PRELOAD: 'x' } });
    expect(outcome).toMatchObject({ outcome: 'refused', code: 'sandbox:bad_request' });
  });
});
