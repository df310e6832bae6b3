import { createHash } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { generateAgentKey, type AgentKey } from '../../src/identity/agent-key.js';
import { issueCredential } from '../../src/identity/credential.js';
import { DELEGATION_TYP, delegate, verifyCredentialChain, type DelegationGrant } from '../../src/identity/delegation.js';
import { isFailure } from '../../src/identity/did-key.js';
import { RevocationList } from '../../src/identity/revocation.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';

const NOW = Date.UTC(2026, 0, 1);
const clock = () => NOW;
const root = generateAgentKey();
const parent = generateAgentKey();
const child = generateAgentKey();
const grandchild = generateAgentKey();
const trustedIssuers = TrustedIssuers.of([root.did]) as TrustedIssuers;
const options = { trustedIssuers, clock };

const rootToken = await (async () => {
  const issued = await issueCredential(root, { subject: parent.did, ring: 1, roles: ['support', 'billing'], tools: ['crm.*', 'search'], trust: 700, ttlSeconds: 3600, jti: 'root-1' }, clock);
  if (isFailure(issued)) throw new Error(issued.message);
  return issued.token;
})();

async function link(from: AgentKey, chain: readonly string[], grant: Partial<DelegationGrant> & { subject: string }): Promise<string[]> {
  const result = await delegate(from, chain, { tools: ['crm.read'], ttlSeconds: 600, ...grant }, clock);
  if (isFailure(result)) throw new Error(result.message);
  return [...result.chain];
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A link signed by `key` with any claims, as a hostile parent would make it (delegate() refuses to). */
async function forgeLink(key: AgentKey, parentToken: string, claims: Partial<JWTPayload & Record<string, unknown>>): Promise<string> {
  const iat = NOW / 1000;
  const payload = { iss: key.did, sub: child.did, jti: 'l-1', prev: sha256(parentToken), iat, exp: iat + 600, ring: 1, trust: 700, tools: ['crm.read'], ...claims };
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: 'EdDSA', typ: DELEGATION_TYP }).sign(key.privateKey);
}

describe('delegation: attenuating chains', () => {
  it('narrows authority along the chain, and names the chain by its digest', async () => {
    const chain1 = await link(parent, [rootToken], { subject: child.did, tools: ['crm.*'], ring: 2, trust: 500, roles: ['support'] });
    const chain2 = await link(child, chain1, { subject: grandchild.did, tools: ['crm.read'], ttlSeconds: 60 });
    const verified = verifyCredentialChain(chain2, options);
    expect(verified).toMatchObject({
      ok: true, subject: grandchild.did, issuer: root.did, ring: 2, trust: 500, roles: ['support'], tools: ['crm.read'],
      expiresAt: NOW + 60_000, delegationDigest: sha256(canonicalJson(chain2)),
    });
    expect(verifyCredentialChain([rootToken], options)).toMatchObject({ ok: true, subject: parent.did, delegationDigest: null, credentialId: 'root-1' });
  });

  it('caps a link at its parent expiry and inherits what it does not narrow', async () => {
    const chain = await link(parent, [rootToken], { subject: child.did, ttlSeconds: 10 * 3600 });
    expect(verifyCredentialChain(chain, options)).toMatchObject({ ok: true, ring: 1, trust: 700, roles: ['support', 'billing'], expiresAt: NOW + 3_600_000 });
  });

  it('refuses to sign a widening link, or one from a key that is not the parent subject', async () => {
    for (const grant of [{ tools: ['*'] }, { ring: 0 }, { trust: 900 }, { roles: ['admin'] }]) {
      expect(await delegate(parent, [rootToken], { subject: child.did, ttlSeconds: 60, tools: ['crm.read'], ...grant }, clock)).toMatchObject({ ok: false, kind: 'delegation' });
    }
    expect(await delegate(child, [rootToken], { subject: grandchild.did, ttlSeconds: 60, tools: ['crm.read'] }, clock)).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
  });
});

describe('delegation: hostile chains are denials', () => {
  it('refuses a link that widens tools, ring, trust, expiry or roles (each on its own)', async () => {
    const widenings: [Record<string, unknown>, RegExp][] = [
      [{ tools: ['db.*'] }, /tool glob 1/], [{ tools: ['crm.read', '*'] }, /tool glob 2/], [{ ring: 0 }, /ring/], [{ trust: 701 }, /trust/],
      [{ exp: NOW / 1000 + 3601 }, /expires after/], [{ roles: ['admin'] }, /role 1/],
    ];
    for (const [claims, message] of widenings) {
      const token = await forgeLink(parent, rootToken, claims);
      expect(verifyCredentialChain([rootToken, token], options), JSON.stringify(claims)).toMatchObject({ ok: false, kind: 'delegation', message: expect.stringMatching(message) });
    }
    expect(verifyCredentialChain([rootToken, await forgeLink(parent, rootToken, {})], options)).toMatchObject({ ok: true });
  });

  it('refuses a link from an unknown parent rather than skipping its check', async () => {
    const stranger = generateAgentKey();
    expect(verifyCredentialChain([rootToken, await forgeLink(stranger, rootToken, {})], options)).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
    // Claiming to be the parent without its key.
    const claimed = await forgeLink(stranger, rootToken, { iss: parent.did });
    expect(verifyCredentialChain([rootToken, claimed], options)).toMatchObject({ ok: false, kind: 'signature' });
    // Signed by the parent, but for another credential (prev binds the link to its exact parent token).
    expect(verifyCredentialChain([rootToken, await forgeLink(parent, 'another token', {})], options)).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
  });

  it('re-checks a cached link against the chain it appears in', async () => {
    const chain = await link(parent, [rootToken], { subject: child.did });
    expect(verifyCredentialChain(chain, options)).toMatchObject({ ok: true });
    // The same (verified, cached) link placed under another credential whose subject is not its issuer.
    const other = await issueCredential(root, { subject: child.did, ring: 1, roles: [], tools: ['*'], trust: 900, ttlSeconds: 3600 }, clock);
    expect(verifyCredentialChain([(other as { token: string }).token, chain[1]], options)).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
    expect(verifyCredentialChain(chain, { ...options, clock: () => NOW + 700_000 })).toMatchObject({ ok: false, kind: 'expired' });
  });

  it('refuses a cycle', async () => {
    const toChild = await link(parent, [rootToken], { subject: child.did });
    const back = await forgeLink(child, toChild[1] as string, { sub: parent.did, jti: 'l-2' });
    expect(verifyCredentialChain([...toChild, back], options)).toMatchObject({ ok: false, kind: 'delegation', message: expect.stringContaining('cycle') });
  });

  it('refuses a chain deeper than the limit (default 5) before verifying it', async () => {
    let chain = [rootToken];
    let holder = parent;
    for (let i = 0; i < 6; i++) {
      const next = generateAgentKey();
      chain = await link(holder, chain, { subject: next.did });
      holder = next;
      const result = verifyCredentialChain(chain, options);
      if (i < 5) expect(result, `depth ${i + 1}`).toMatchObject({ ok: true });
      else expect(result).toMatchObject({ ok: false, kind: 'delegation', message: expect.stringContaining('over the limit of 5') });
    }
    expect(verifyCredentialChain(chain.slice(0, 3), { ...options, maxDepth: 1 })).toMatchObject({ ok: false, kind: 'delegation' });
    expect(verifyCredentialChain(Array(10_000).fill(rootToken), options)).toMatchObject({ ok: false, kind: 'delegation' });
  });

  it('refuses an expired or not-yet-valid link, a credential passed as a link, and junk', async () => {
    const chain = await link(parent, [rootToken], { subject: child.did, ttlSeconds: 60 });
    expect(verifyCredentialChain(chain, { ...options, clock: () => NOW + 121_000 })).toMatchObject({ ok: false, kind: 'expired' });
    expect(verifyCredentialChain([rootToken, await forgeLink(parent, rootToken, { nbf: NOW / 1000 + 600 })], options)).toMatchObject({ ok: false, kind: 'not_yet_valid' });
    expect(verifyCredentialChain([rootToken, rootToken], options)).toMatchObject({ ok: false, kind: 'malformed' });
    for (const junk of [undefined, [], 'a.b.c', [rootToken, 42], [rootToken, 'x'.repeat(100_000)], [rootToken, await forgeLink(parent, rootToken, { sub: 'did:key:zBAD' })]]) {
      expect(isFailure(verifyCredentialChain(junk, options)), String(junk).slice(0, 30)).toBe(true);
    }
  });

  it('refuses a chain whose link subject or id was revoked', async () => {
    const chain = await link(parent, [rootToken], { subject: child.did, jti: 'link-9' });
    for (const id of [child.did, 'link-9', 'root-1', parent.did]) {
      const revocations = new RevocationList();
      revocations.revoke(id);
      expect(verifyCredentialChain(chain, { ...options, revocations }), id).toMatchObject({ ok: false, kind: 'revoked' });
    }
  });
});
