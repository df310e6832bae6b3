import { describe, expect, it } from 'vitest';
import { profileForTool } from '../../src/execution/tool-profile.js';
import { sandboxTool } from '../../src/kernel/sandbox-tool.js';
import { PolicyEvaluator } from '../../src/policy/index.js';

// The profile is the deployment's: the policy's tools: entry, the factory, the tool's ring.
// Never the agent's. Runs go through the real bubblewrap.

const HEADER = 'apiVersion: governance.toolkit/v1\nname: profiles\ndefault_action: allow\n';
const policyWith = (tools = ''): PolicyEvaluator => PolicyEvaluator.fromYaml(HEADER + tools);
const PRINT = { language: 'python', code: 'print(1)' } as const;

async function profileOf(run: ReturnType<typeof sandboxTool>, args: object = PRINT): Promise<string> {
  const outcome = await run(args as never);
  if (outcome.outcome !== 'ran') throw new Error(`refused: ${outcome.reason}`);
  return outcome.profile;
}

describe('the sandbox profile of a tool', () => {
  it('is ring3 when nothing names one', async () => {
    expect(await profileOf(sandboxTool({ policy: policyWith(), audit: false }))).toBe('ring3');
  });

  it("is the policy's when its tools: entry names one, over the factory's", async () => {
    const policy = policyWith('tools:\n  sandbox.run:\n    sandbox: { profile: ring2 }\n');
    expect(await profileOf(sandboxTool({ policy, audit: false }))).toBe('ring2');
    expect(await profileOf(sandboxTool({ policy, audit: false, profile: 'ring3' }))).toBe('ring2');
  });

  it("is the factory's when the policy names none", async () => {
    expect(await profileOf(sandboxTool({ policy: policyWith(), audit: false, profile: 'ring2' }))).toBe('ring2');
  });

  it('two entries that name profiles combine to the stricter (higher ring number)', async () => {
    const policy = policyWith("tools:\n  sandbox.run:\n    sandbox: { profile: ring1 }\n  'sandbox.*':\n    sandbox: { profile: ring3 }\n");
    expect(await profileOf(sandboxTool({ policy, audit: false }))).toBe('ring3');
  });

  it('the agent cannot choose it: a profile or workdir in the arguments is dropped before the policy sees them', async () => {
    const policy = policyWith("rules:\n  - name: no-args-profile\n    condition: \"has(args.profile) || has(args.workdir)\"\n    action: deny\n");
    expect(await profileOf(sandboxTool({ policy, audit: false }), { ...PRINT, profile: 'ring1', workdir: '/' })).toBe('ring3');
  });

  it("follows the tool's ring when the policy gives one and names no profile (ring 0 is never an agent's: ring1 at most)", () => {
    expect(profileForTool({ ring: 3 }, undefined)).toBe('ring3');
    expect(profileForTool({ ring: 2 }, undefined)).toBe('ring2');
    expect(profileForTool({ ring: 1 }, undefined)).toBe('ring1');
    expect(profileForTool({ ring: 0 }, undefined)).toBe('ring1');
    expect(profileForTool({ ring: 7 }, undefined)).toBe('ring3');
    expect(profileForTool({ ring: 1, sandboxProfile: 'ring3' }, undefined)).toBe('ring3');
    expect(profileForTool({ ring: 1 }, 'ring2')).toBe('ring2');
  });
});
