/**
 * The ring guard (issue 11, item 1): the ring a tool needs comes from the policy's `tools:`
 * entries (`ring`, default 2, 3 for `read_only`), strictest wins; the agent's ring from its
 * verified credential (or, without identity, what the caller says, default 2). A call from a less
 * privileged ring is denied with both rings in the reason and, for a verified agent, costs trust.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { issueCredential, toVerifiedIdentity, verifyCredential } from '../../src/identity/credential.js';
import { isFailure } from '../../src/identity/did-key.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import type { IdentityVerifier } from '../../src/identity/verifier.js';
import type { Outcome } from '../../src/kernel/action.js';
import { Kernel, type KernelOptions } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { loadPolicies } from '../../src/policy/loader.js';
import { issuesOf } from '../policy/policy-issues.js';

const HEAD = 'apiVersion: governance.toolkit/v1\nname: p\n';
const POLICY = `${HEAD}default_action: allow
tools:
  db.drop: { ring: 1 }
  db.write: { min_trust: 0 }
  search: { read_only: true }
  'reports.*': { read_only: true, ring: 2 }
`;
const dir = mkdtempSync(join(tmpdir(), 'agt-rings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (): string => 'ran';
const kernelOf = (options: Partial<KernelOptions> = {}): Kernel => new Kernel({ policy: PolicyEvaluator.fromYaml(POLICY), audit: new AuditLog(), ...options });
const reasonOf = (outcome: Outcome): string => (outcome.kind === 'refused' ? outcome.decision.reason : `(${outcome.kind})`);

describe('ring guard: the ring each tool needs', () => {
  it('denies or allows at each boundary: ring 1 tool, default ring 2 tool, read-only ring 3 tool', async () => {
    const kernel = kernelOf();
    const table: [tool: string, agentRing: number, allowed: boolean][] = [
      ['db.drop', 1, true], ['db.drop', 2, false], ['db.drop', 3, false],
      ['db.write', 1, true], ['db.write', 2, true], ['db.write', 3, false],
      ['unnamed.tool', 2, true], ['unnamed.tool', 3, false],
      ['search', 1, true], ['search', 2, true], ['search', 3, true],
      ['reports.daily', 2, true], ['reports.daily', 3, false],
    ];
    for (const [tool, ring, allowed] of table) {
      const outcome = await kernel.handle({ tool, agent: { id: 'bot', ring } }, run);
      expect(outcome.kind, `${tool} from ring ${ring}`).toBe(allowed ? 'output' : 'refused');
    }
  });

  it('names both rings in the reason, says it is an escalation attempt, and names the ring step', async () => {
    const outcome = await kernelOf().handle({ tool: 'db.write', agent: { id: 'bot', ring: 3 } }, run);
    expect(reasonOf(outcome)).toBe('ring:insufficient: agent ring 3 is less privileged than the ring 2 this tool requires; counted as an escalation attempt');
    expect(outcome.kind === 'refused' && outcome.decision.diagnostics.step).toBe('ring');
  });

  it('an agent that names no ring acts at ring 2, so existing callers keep working', async () => {
    const kernel = kernelOf({ agent: 'legacy' });
    expect((await kernel.handle({ tool: 'db.write' }, run)).kind).toBe('output');
    expect(reasonOf(await kernel.handle({ tool: 'db.drop' }, run))).toMatch(/^ring:insufficient: agent ring 2 is less privileged than the ring 1/);
  });

  it('a look-alike of a guarded name needs the guarded ring', async () => {
    const kernel = kernelOf();
    for (const tool of ['DB.DROP', 'Db.Drop', 'db.drоp' /* Cyrillic о */]) {
      const outcome = await kernel.handle({ tool, agent: { id: 'bot', ring: 2 } }, run);
      expect(outcome.kind, tool).toBe('refused');
    }
  });

  it('an odd asserted ring is a bad request, never privileged', async () => {
    const kernel = kernelOf();
    for (const ring of [1.5, -1, 4, '1', true, null, 1e308, [1], { ring: 1 }]) {
      const outcome = await kernel.handle({ tool: 'search', agent: { id: 'bot', ring: ring as number } }, run);
      expect(reasonOf(outcome), String(ring)).toMatch(/^ring:invalid: the agent's ring .* is not a ring an agent can hold/);
    }
  });

  it('a ring 0 given before rings were enforced acts as ring 1 (no tool can require 0)', async () => {
    expect((await kernelOf().handle({ tool: 'db.drop', agent: { id: 'bot', ring: 0 } }, run)).kind).toBe('output');
  });

  it('applies to decide() and decideAsync() too, and not to other points', async () => {
    const kernel = kernelOf();
    expect(kernel.decide({ tool_name: 'db.drop', agent: { id: 'bot', ring: 2 } }).reason).toMatch(/^ring:insufficient/);
    expect((await kernel.decideAsync({ tool_name: 'db.drop', agent: { id: 'bot', ring: 2 } })).reason).toMatch(/^ring:insufficient/);
    expect(kernel.decide({ tool_name: 'db.drop', agent: { id: 'bot', ring: 1 } }).allowed).toBe(true);
    expect(kernel.decide({ stage: 'pre_input', input: 'hello', agent: { id: 'bot', ring: 3 } }).allowed).toBe(true);
  });
});

describe('ring guard: the policy side', () => {

  it('refuses ring 0 with a located error and a fix', () => {
    const [issue] = issuesOf(`${HEAD}tools:\n  db.drop:\n    ring: 0\n`);
    expect(issue).toMatchObject({ file: 'policy.yaml', line: 5, key: 'tools.db.drop.ring' });
    expect(issue?.message).toMatch(/agents never hold ring 0.*use ring: 1/);
  });

  it('refuses rings that are not 1, 2 or 3, and a read_only that is not a boolean', () => {
    for (const value of ['4', '-1', '1.5', '"one"']) expect(issuesOf(`${HEAD}tools:\n  db.drop: { ring: ${value} }\n`)[0]).toMatchObject({ line: 4, key: 'tools.db.drop.ring' });
    expect(issuesOf(`${HEAD}tools:\n  search: { read_only: "yes" }\n`)[0]).toMatchObject({ line: 4, key: 'tools.search.read_only' });
  });

  it('read_only defaults a tool to ring 3 and is exposed; an explicit ring wins', () => {
    const evaluator = PolicyEvaluator.fromYaml(POLICY);
    expect(evaluator.requirementsFor('search')).toMatchObject({ ring: 3, readOnly: true });
    expect(evaluator.requirementsFor('reports.x')).toMatchObject({ ring: 2, readOnly: true });
    expect(evaluator.requirementsFor('db.write')).toMatchObject({ ring: 2, readOnly: false });
    expect(evaluator.requirementsFor('anything')).toMatchObject({ ring: 2, readOnly: false });
  });

  it('strictest wins across entries: the lower ring; an entry that does not write a ring does not pull a read-only tool down', () => {
    const evaluator = PolicyEvaluator.fromYaml(`${HEAD}tools:\n  '*': { min_trust: 10 }\n  'db.*': { ring: 1 }\n  db.read: { read_only: true }\n  search: { read_only: true }\n  'search*': { read_only: false }\n`);
    expect(evaluator.requirementsFor('db.read')).toMatchObject({ ring: 1, readOnly: true, minTrust: 10 });
    // A wildcard that says nothing about rings leaves search read-only; an explicit false wins over true.
    expect(evaluator.requirementsFor('search')).toMatchObject({ ring: 3, readOnly: false });
    expect(evaluator.requirementsFor('other')).toMatchObject({ ring: 2, readOnly: false, minTrust: 10 });
  });

  it('strictest wins across extends: a child cannot raise a tool to a less privileged ring', () => {
    writeFileSync(join(dir, 'base.yaml'), `${HEAD.replace('name: p', 'name: base')}tools:\n  db.drop: { ring: 1 }\n  search: { read_only: true }\n`);
    writeFileSync(join(dir, 'child.yaml'), `${HEAD.replace('name: p', 'name: child')}extends: ./base.yaml\ntools:\n  db.drop: { ring: 3, read_only: true }\n  search: { ring: 2 }\n`);
    const evaluator = loadPolicies(join(dir, 'child.yaml'));
    expect(evaluator.requirementsFor('db.drop')).toMatchObject({ ring: 1 });
    expect(evaluator.requirementsFor('search')).toMatchObject({ ring: 2, readOnly: true });
  });
});

describe('ring guard: verified agents', () => {
  const operator = generateAgentKey();
  const trusted = TrustedIssuers.of([operator.did]);
  if (isFailure(trusted)) throw new Error('test setup');
  const verifier: IdentityVerifier = {
    verify(proof) {
      const verified = verifyCredential((proof as { token?: unknown }).token, { trustedIssuers: trusted });
      return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'jwt');
    },
  };
  async function credential(ring: number): Promise<{ token: string; did: string }> {
    const agent = generateAgentKey();
    const issued = await issueCredential(operator, { subject: agent.did, ring, roles: [], tools: ['*'], trust: 600, ttlSeconds: 3600 });
    if (isFailure(issued)) throw new Error(issued.message);
    return { token: issued.token, did: agent.did };
  }
  const zeroTrust = (): Kernel => kernelOf({ identity: { mode: 'zero-trust', verifier } });

  it('reads the ring from the credential; a breach is an escalation attempt that costs 100 trust', async () => {
    const kernel = zeroTrust();
    const ring3 = await credential(3);
    const proof = { kind: 'credential', token: ring3.token };
    expect((await kernel.handle({ tool: 'search', proof }, run)).kind).toBe('output');
    const before = kernel.trustScores?.scoreOf(ring3.did, 600) as number;
    const outcome = await kernel.handle({ tool: 'db.write', proof }, run);
    expect(reasonOf(outcome)).toBe('ring:insufficient: agent ring 3 is less privileged than the ring 2 this tool requires; counted as an escalation attempt');
    expect(kernel.trustScores?.scoreOf(ring3.did, 600)).toBe(before - 100);
    // Recorded, with who tried.
    const entry = kernel.audit?.entries().at(-1);
    expect(entry).toMatchObject({ agent: ring3.did, tool: 'db.write', verdict: 'deny', reason: expect.stringMatching(/^ring:insufficient/) });
  });

  it('an agent spoofing a ring in zero-trust mode is still denied', async () => {
    const kernel = zeroTrust();
    const ring3 = await credential(3);
    const outcome = await kernel.handle({ tool: 'db.drop', agent: { id: ring3.did, ring: 1 }, proof: { kind: 'credential', token: ring3.token } }, run);
    expect(reasonOf(outcome)).toMatch(/^identity:self_asserted: /);
    expect(reasonOf(await kernel.handle({ tool: 'db.drop', agent: { ring: 1 } as never }, run))).toMatch(/^identity:self_asserted: /);
  });

  it('a ring 1 credential calls the ring 1 tool', async () => {
    const kernel = zeroTrust();
    const ring1 = await credential(1);
    expect((await kernel.handle({ tool: 'db.drop', proof: { kind: 'credential', token: ring1.token } }, run)).kind).toBe('output');
  });
});
