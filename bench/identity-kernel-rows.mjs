// Bench rows for issue 10's kernel identity step: Kernel.decide() of an allowed call with a
// memory audit log, with zero-trust identity (a synchronous verifier that answers a fixed
// verified identity: the step's own cost, without any proof's cryptography) beside the same
// kernel without identity. The difference is what the identity step adds to every decision
// (self-assertion checks, args digest, verified agent, re-sealed request, hashed identity).
//
// Called by run.mjs with its harness: `await identityKernelRows({ pair, progress, rows })`.
// Run with the other identity rows: `node bench/run.mjs --identity-only` (after `npm run build`).
import { AuditLog, Kernel, PolicyEvaluator, govern } from '../dist/index.js';
import { argsDigestOf } from '../dist/identity/action-binding.js';
import { byProofKind, sessionProof } from '../dist/identity/proof-kinds.js';
import { SessionMacVerifier } from '../dist/identity/session.js';
import { SessionClient } from '../dist/identity/session-client.js';

const POLICY = `apiVersion: governance.toolkit/v1
name: bench
default_action: deny
rules:
  - { name: inner, condition: "agent.ring <= 1", action: allow }
`;

const VERIFIED = Object.freeze({
  ok: true, subject: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK', proof: 'session', issuer: 'did:key:z6MkissuerBench',
  credentialId: 'cred-1', ring: 1, roles: Object.freeze(['support']), tools: Object.freeze(['crm.*']), trust: 600, expiresAt: Number.MAX_SAFE_INTEGER, delegationDigest: null,
});

export async function identityKernelRows({ pair, progress, rows }) {
  progress('identity: the kernel identity step ...');
  const policy = PolicyEvaluator.fromYaml(POLICY);
  const proven = new Kernel({ policy, audit: new AuditLog(), identity: { mode: 'zero-trust', verifier: { verify: () => VERIFIED } } });
  const plain = new Kernel({ policy, audit: new AuditLog() });
  const request = { tool_name: 'crm.read', args: { id: 7, fields: ['name', 'email'] } };
  const asserted = { ...request, agent: { id: 'bench', ring: 1 } };
  const options = { proof: { kind: 'session', mac: 'x'.repeat(43) } };
  if (proven.decide(request, options).verdict !== 'allow' || plain.decide(asserted).verdict !== 'allow') throw new Error('identity kernel bench fixtures are not allowed');
  const r = await pair({ ours: () => (proven.decide(request, options).allowed ? 1 : 0), peer: () => (plain.decide(asserted).allowed ? 1 : 0), n: 20_000, warm: 2_000 });
  rows.push({
    section: 'identity (the kernel step)',
    what: 'Kernel.decide() allowed + memory audit, zero-trust identity step (fixed verifier) vs no identity',
    ours: r.ours, peer: r.peer, peerLabel: 'no identity', by: 'p50', target: 'p50 <= no identity + 3 us', met: r.ours.p50Ns <= r.peer.p50Ns + 3_000,
  });

  // The issue's row: govern() of an allowed no-op tool, each call proven by a session MAC (a real
  // HMAC over the call, checked against the session's replay window), the policy and a memory
  // audit. The agent's MACs are made before the clock starts: what is timed is the governed call.
  progress('identity: govern() with a session MAC per call ...');
  const AUD = 'agt://bench';
  const sessions = new SessionMacVerifier({ audience: AUD, ttlMs: 3_600_000 });
  const client = new SessionClient(sessions.issue({ ...VERIFIED, expiresAt: Date.now() + 3_600_000 }));
  const args = { q: 1 };
  const action = { tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf(args) };
  const total = 60_000;
  const proofs = Array.from({ length: total }, () => ({ kind: 'session', ...client.prove(action) }));
  let next = 0;
  const noop = async (a) => (a ? 1 : 0);
  const identity = { mode: 'zero-trust', verifier: byProofKind({ session: sessionProof(sessions) }) };
  const withMac = govern(noop, { name: 'crm.read', policy, audit: new AuditLog(), identity, proof: () => proofs[next++] });
  const without = govern(noop, { name: 'crm.read', policy, audit: new AuditLog(), agent: { id: 'bench', ring: 1 } });
  if ((await withMac(args)) !== 1 || (await without(args)) !== 1) throw new Error('identity govern bench: expected the tool to run');
  const g = await pair({ ours: () => withMac(args), peer: () => without(args), n: 40_000, warm: 5_000, async: true });
  if (next > total) throw new Error('identity govern bench: ran out of proofs');
  rows.push({
    section: 'identity (the kernel step)',
    what: 'govern() allowed: session-MAC identity + policy + memory audit, vs govern() with a self-asserted agent',
    ours: g.ours, peer: g.peer, peerLabel: 'no identity', by: 'p50', refOnly: true,
    target: 'p50 <= 8 us, p99 <= 40 us', met: g.ours.p50Ns <= 8_000 && g.ours.p99Ns <= 40_000,
  });
}
