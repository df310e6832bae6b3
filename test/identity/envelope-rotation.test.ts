/**
 * Key rotation where an envelope's key is accepted: after the old key signs its successor, an
 * envelope signed by the new key is accepted with the credential issued to the old DID (the
 * identity stays the credential's subject), and the old key is refused from then on.
 */
import { describe, expect, it } from 'vitest';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { issueCredential, toVerifiedIdentity, verifyCredential } from '../../src/identity/credential.js';
import { isFailure } from '../../src/identity/did-key.js';
import { EnvelopeVerifier } from '../../src/identity/envelope.js';
import { signEnvelope } from '../../src/identity/envelope-sign.js';
import { RotationRegistry, signRotation } from '../../src/identity/rotation.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import { MemoryReplayCache } from '../../src/state/replay-cache.js';

const AUD = 'agt://tests';
const NOW = Date.parse('2026-03-01T12:00:00Z');
const clock = (): number => NOW;
const ACTION = { tool: 'crm.read', stage: 'pre_tool' as const, argsDigest: argsDigestOf({ id: 1 }) };

async function setup(withRegistry: boolean) {
  const operator = generateAgentKey();
  const oldKey = generateAgentKey();
  const newKey = generateAgentKey();
  const trusted = TrustedIssuers.of([operator.did]);
  if (isFailure(trusted)) throw new Error(trusted.message);
  const issued = await issueCredential(operator, { subject: oldKey.did, ring: 2, roles: [], tools: ['crm.*'], ttlSeconds: 3600 }, clock);
  if (isFailure(issued)) throw new Error(issued.message);
  const registry = RotationRegistry.open();
  if (isFailure(registry)) throw new Error(registry.message);
  const statement = await signRotation(oldKey, newKey.did, clock);
  if (isFailure(statement)) throw new Error(statement.message);
  expect(registry.accept(statement).ok).toBe(true);
  const verifier = new EnvelopeVerifier({
    audience: AUD,
    clock,
    replayCache: new MemoryReplayCache(),
    ...(withRegistry ? { rotations: registry } : {}),
    credentials: (credential, _did, at) => {
      const verified = verifyCredential(credential, { trustedIssuers: trusted, clock: () => at });
      return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'envelope');
    },
  });
  const sign = (key: typeof oldKey) => signEnvelope(key.privateKey, ACTION, { aud: AUD, credential: issued.token, iat: NOW });
  return { verifier, oldKey, newKey, sign };
}

describe('envelopes and key rotation', () => {
  it('accepts the rotated-to key with the credential issued to the old DID, as the same identity', async () => {
    const { verifier, oldKey, newKey, sign } = await setup(true);
    expect(verifier.verify(sign(newKey), ACTION)).toMatchObject({ ok: true, subject: oldKey.did, proof: 'envelope' });
  });

  it('refuses the old key after the rotation (identity:revoked)', async () => {
    const { verifier, oldKey, sign } = await setup(true);
    expect(verifier.verify(sign(oldKey), ACTION)).toMatchObject({ ok: false, kind: 'revoked' });
  });

  it('without the registry, a new key presenting the old DID\'s credential is another subject (untrusted_issuer)', async () => {
    const { verifier, newKey, sign } = await setup(false);
    expect(verifier.verify(sign(newKey), ACTION)).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
  });

  it('an unrelated key presenting the credential is still refused with the registry', async () => {
    const { verifier, sign } = await setup(true);
    expect(verifier.verify(sign(generateAgentKey()), ACTION)).toMatchObject({ ok: false, kind: 'untrusted_issuer' });
  });
});
