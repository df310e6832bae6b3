/**
 * Revocation on the session path: a session opened by one full verification keeps asking the
 * revocation list on every MAC, so revoking the agent, its credential, its issuer or any link of
 * its delegation chain (in another process, through the shared SQLite file) refuses the
 * session's very next action, and a list that cannot be read refuses rather than accepts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { argsDigestOf, type ProvenAction } from '../../src/identity/action-binding.js';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { issueCredential, toVerifiedIdentity } from '../../src/identity/credential.js';
import { delegate, verifyCredentialChain } from '../../src/identity/delegation.js';
import { isFailure } from '../../src/identity/did-key.js';
import { RevocationList } from '../../src/identity/revocation.js';
import type { RevocationCheck } from '../../src/identity/revocation-check.js';
import { SessionMacVerifier } from '../../src/identity/session.js';
import { SessionClient } from '../../src/identity/session-client.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import type { VerifiedIdentity } from '../../src/identity/verified.js';
import { SqliteRevocationStore } from '../../src/state/sqlite-revocation-store.js';

const AUD = 'agt://tests';
const ACTION: ProvenAction = { tool: 'crm.read', stage: 'pre_tool', argsDigest: argsDigestOf({ id: 1 }) };
const dir = mkdtempSync(join(tmpdir(), 'agt-session-revocation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const operator = generateAgentKey();
const agent = generateAgentKey();
const trusted = TrustedIssuers.of([operator.did]);
if (isFailure(trusted)) throw new Error('test setup: trusted issuers');
const clock = (): number => Date.parse('2026-03-01T12:00:00Z');

async function verifiedAgent(): Promise<VerifiedIdentity> {
  const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: [], tools: ['crm.*'], trust: 600, ttlSeconds: 3600, jti: 'cred-agent' }, clock);
  if (isFailure(issued)) throw new Error(issued.message);
  const verified = verifyCredentialChain([issued.token], { trustedIssuers: trusted as TrustedIssuers, clock });
  if (isFailure(verified)) throw new Error(verified.message);
  return toVerifiedIdentity(verified, 'envelope');
}

describe('SessionMacVerifier with a revocation list', () => {
  it("revoking the agent's DID through a second SqliteRevocationStore on the same file refuses the session's very next MAC", async () => {
    const file = join(dir, 'revocations.sqlite');
    const here = new RevocationList(new SqliteRevocationStore(file));
    const sessions = new SessionMacVerifier({ audience: AUD, clock, revocations: here });
    const client = new SessionClient(sessions.issue(await verifiedAgent()));
    expect(sessions.verify(client.prove(ACTION), ACTION).ok).toBe(true);
    const elsewhere = new SqliteRevocationStore(file); // as `agt identity revoke` in another process opens it
    new RevocationList(elsewhere).revoke(agent.did);
    expect(sessions.verify(client.prove(ACTION), ACTION)).toEqual({ ok: false, kind: 'revoked', message: "the session's agent was revoked; the session is ended" });
    // Ended: its later actions are refused as unknown, and the agent must verify in full (and be refused there).
    expect(sessions.verify(client.prove(ACTION), ACTION)).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
    expect(sessions.size).toBe(0);
    elsewhere.close();
  });

  it('revoking the credential id or the issuer ends the session too', async () => {
    for (const id of ['cred-agent', operator.did]) {
      const list = new RevocationList();
      const sessions = new SessionMacVerifier({ audience: AUD, clock, revocations: list });
      const client = new SessionClient(sessions.issue(await verifiedAgent()));
      list.revoke(id);
      expect(sessions.verify(client.prove(ACTION), ACTION)).toMatchObject({ ok: false, kind: 'revoked' });
    }
  });

  it('revoking any link of a delegation chain (its id or its delegate) ends the delegate\'s session', async () => {
    const issued = await issueCredential(operator, { subject: agent.did, ring: 2, roles: [], tools: ['crm.*'], trust: 600, ttlSeconds: 3600, jti: 'cred-root' }, clock);
    if (isFailure(issued)) throw new Error(issued.message);
    const middle = generateAgentKey();
    const leaf = generateAgentKey();
    const first = await delegate(agent, [issued.token], { subject: middle.did, tools: ['crm.read'], ttlSeconds: 600, jti: 'link-1' }, clock);
    if (isFailure(first)) throw new Error(first.message);
    const second = await delegate(middle, first.chain, { subject: leaf.did, tools: ['crm.read'], ttlSeconds: 600, jti: 'link-2' }, clock);
    if (isFailure(second)) throw new Error(second.message);
    const verified = verifyCredentialChain(second.chain, { trustedIssuers: trusted as TrustedIssuers, clock });
    if (isFailure(verified)) throw new Error(verified.message);
    for (const id of ['cred-root', agent.did, 'link-1', middle.did]) {
      const list = new RevocationList();
      const sessions = new SessionMacVerifier({ audience: AUD, clock, revocations: list });
      const client = new SessionClient(sessions.issue(toVerifiedIdentity(verified, 'envelope')));
      expect(sessions.verify(client.prove(ACTION), ACTION).ok).toBe(true);
      list.revoke(id);
      expect(sessions.verify(client.prove(ACTION), ACTION)).toEqual({ ok: false, kind: 'revoked', message: "the session's delegation chain was revoked; the session is ended" });
    }
  });

  it('refuses (identity:unavailable) when the list cannot be read, and accepts again once it can', async () => {
    let broken = false;
    const list: RevocationCheck = {
      isRevoked: () => false,
      firstRevoked: () => {
        if (broken) throw new Error('SQLITE_IOERR');
        return -1;
      },
    };
    const sessions = new SessionMacVerifier({ audience: AUD, clock, revocations: list });
    const client = new SessionClient(sessions.issue(await verifiedAgent()));
    broken = true;
    expect(sessions.verify(client.prove(ACTION), ACTION)).toMatchObject({ ok: false, kind: 'unavailable' });
    broken = false;
    expect(sessions.verify(client.prove(ACTION), ACTION).ok).toBe(true);
  });

  it('a forged MAC is refused as a bad MAC before anything else, and a replayed counter names its (MAC-verified) presenter', async () => {
    const sessions = new SessionMacVerifier({ audience: AUD, clock, revocations: new RevocationList() });
    const client = new SessionClient(sessions.issue(await verifiedAgent()));
    const proof = client.prove(ACTION);
    expect(sessions.verify(proof, ACTION).ok).toBe(true);
    expect(sessions.verify(proof, ACTION)).toMatchObject({ ok: false, kind: 'replayed', subject: agent.did, trust: 600 });
    const forged = { ...proof, mac: 'A'.repeat(43) };
    const refused = sessions.verify(forged, ACTION);
    expect(refused).toMatchObject({ ok: false, kind: 'signature' });
    expect(refused).not.toHaveProperty('subject');
  });
});
