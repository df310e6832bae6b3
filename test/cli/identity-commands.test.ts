import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { argsDigestOf } from '../../src/identity/action-binding.js';
import { chainOfEnvelopeCredential, parseCredentialFile } from '../../src/identity/credential-file.js';
import { verifyCredentialChain } from '../../src/identity/delegation.js';
import { isFailure } from '../../src/identity/did-key.js';
import { EnvelopeVerifier } from '../../src/identity/envelope.js';
import { RevocationList } from '../../src/identity/revocation.js';
import { freshCredentialId, toVerifiedIdentity } from '../../src/identity/credential.js';
import { TrustedIssuers } from '../../src/identity/trusted-issuers.js';
import { MemoryReplayCache } from '../../src/state/replay-cache.js';
import { SqliteRevocationStore } from '../../src/state/sqlite-revocation-store.js';

// The `agt identity` and `agt credential` commands, run as a user runs them: real key files,
// real tokens, verified here with the library's verifiers. Every refusal is exit 2 with one
// located line on stderr and never a stack trace.

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const dir = mkdtempSync(join(tmpdir(), 'agt-identity-'));
const AUD = 'agt://cli-test';

function agt(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [AGT, ...args], { cwd: dir, input, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace, ever
  expect(result.status).not.toBe(70);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function refused(args: string[], pattern: RegExp, input?: string) {
  const run = agt(args, input);
  expect(run.stderr.trimEnd()).toMatch(pattern);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.code).toBe(2);
  return run;
}

function newKey(name: string): string {
  const run = agt(['identity', 'new', '--out', name]);
  expect(run.code).toBe(0);
  return run.stdout.trim();
}

const rootDid = newKey('root.jwk');
const agentDid = newKey('agent.jwk');
const childDid = newKey('child.jwk');
const issue = agt(['credential', 'issue', '--issuer', 'root.jwk', '--subject', agentDid, '--ring', '2', '--roles', 'support', '--tools', 'crm.*,search', '--trust', '600', '--ttl', '1h', '--out', 'agent.cred']);
writeFileSync(join(dir, 'request.json'), JSON.stringify({ tool_name: 'crm.read', args: { id: 7 } }, null, 2));

const trusted = TrustedIssuers.of([rootDid]);
if (isFailure(trusted)) throw new Error(trusted.message);
/** A verifier as a deployment trusting root.jwk builds it (credential chains, a fresh replay cache). */
function verifier() {
  return new EnvelopeVerifier({
    audience: AUD,
    replayCache: new MemoryReplayCache(),
    credentials: (credential, _did, now) => {
      const verified = verifyCredentialChain(chainOfEnvelopeCredential(credential), { trustedIssuers: trusted as TrustedIssuers, clock: () => now });
      return isFailure(verified) ? verified : toVerifiedIdentity(verified, 'envelope');
    },
  });
}
const signedLines = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as { tool_name: string; args: unknown; stage?: string; proof: { kind: string; envelope: Record<string, unknown> } });
const verify = (v: EnvelopeVerifier, request: ReturnType<typeof signedLines>[number]) => v.verify(request.proof.envelope, { tool: request.tool_name, stage: request.stage ?? 'pre_tool', argsDigest: argsDigestOf(request.args) });

describe('agt identity new', () => {
  it('writes a 0600 JWK file and prints only the DID', () => {
    expect(rootDid).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]+$/);
    expect(statSync(join(dir, 'agent.jwk')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'agent.jwk'), 'utf8'))).toMatchObject({ kty: 'OKP', crv: 'Ed25519', d: expect.any(String) });
  });

  it('prints { did, out, publicJwk } with --json, never the private part', () => {
    const run = agt(['identity', 'new', '--out', 'json.jwk', '--json']);
    const shown = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(shown).sort()).toEqual(['did', 'out', 'publicJwk']);
    expect(run.stdout).not.toContain((JSON.parse(readFileSync(join(dir, 'json.jwk'), 'utf8')) as { d: string }).d);
  });

  it('never overwrites a key file', () => {
    const before = readFileSync(join(dir, 'agent.jwk'), 'utf8');
    refused(['identity', 'new', '--out', 'agent.jwk'], /^error: --out: agent\.jwk already exists; key files are never overwritten/);
    expect(readFileSync(join(dir, 'agent.jwk'), 'utf8')).toBe(before);
  });

  it('has --help with examples', () => {
    const run = agt(['identity', 'new', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:\n  agt identity new --out agent.jwk');
  });
});

describe('agt identity show', () => {
  it('shows the DID, key type and public JWK of a private key file, never d', () => {
    const run = agt(['identity', 'show', 'agent.jwk']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`did:        ${agentDid}\nkey type:   Ed25519\n`);
    const { d } = JSON.parse(readFileSync(join(dir, 'agent.jwk'), 'utf8')) as { d: string };
    expect(run.stdout).not.toContain(d);
    expect(run.stdout).not.toContain('"d"');
  });

  it('shows the public key a DID names, and a public JWK file, the same way (--json)', () => {
    const fromDid = JSON.parse(agt(['identity', 'show', agentDid, '--json']).stdout) as Record<string, unknown>;
    writeFileSync(join(dir, 'agent.pub.jwk'), agt(['identity', 'show', 'agent.jwk', '--jwk']).stdout);
    const fromFile = JSON.parse(agt(['identity', 'show', 'agent.pub.jwk', '--json']).stdout) as Record<string, unknown>;
    expect(fromDid).toMatchObject({ did: agentDid, keyType: 'Ed25519', source: 'did' });
    expect(fromFile).toMatchObject({ did: agentDid, source: 'public-key-file', publicJwk: fromDid.publicJwk });
  });

  it('refuses a malformed DID, a look-alike DID, a missing file and garbage, naming the fix', () => {
    refused(['identity', 'show', 'did:key:z6MkNOTBASE58l0O'], /^error: the did:key is not valid base58btc; pass a did:key/);
    refused(['identity', 'show', 'did:web:example.com'], /^error: the DID is not a base58btc did:key/);
    refused(['identity', 'show', agentDid.replace('did:key', 'did:kеy')], /^error: the DID is not a base58btc did:key/); // Cyrillic е
    refused(['identity', 'show', 'nothing-here.jwk'], /^error: 'nothing-here\.jwk' is neither a did:key nor an existing file/);
    writeFileSync(join(dir, 'garbage.jwk'), 'not json at all');
    refused(['identity', 'show', 'garbage.jwk'], /^error: garbage\.jwk is not JSON; a key file holds one JWK object/);
  });

  it('refuses a group-readable private key file', () => {
    writeFileSync(join(dir, 'open.jwk'), readFileSync(join(dir, 'agent.jwk')));
    chmodSync(join(dir, 'open.jwk'), 0o644);
    refused(['identity', 'show', 'open.jwk'], /^error: open\.jwk is readable by group or others \(mode 644\); run 'chmod 600 open\.jwk'/);
  });
});

describe('agt credential issue', () => {
  it('writes a one-line credential file and says what it grants', () => {
    expect(issue.code).toBe(0);
    expect(issue.stdout).toMatch(/^wrote agent\.cred: credential [\w-]+ for did:key:\S+\n {2}grants ring 2, roles \[support\], tools \[crm\.\*, search\], trust 600\n {2}expires \d{4}-/);
    const chain = parseCredentialFile(readFileSync(join(dir, 'agent.cred'), 'utf8'), 'agent.cred');
    expect(isFailure(chain) ? chain : chain.length).toBe(1);
  });

  it('prints the grant with --json and the file to stdout without --out; --subject takes a public JWK file', () => {
    const run = agt(['credential', 'issue', '--issuer', 'root.jwk', '--subject', 'agent.pub.jwk', '--tools', 'search', '--ttl', '10m', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ subject: agentDid, issuer: rootDid, ring: 2, roles: [], tools: ['search'], trust: 500, delegationLinks: 0, credential: [expect.stringMatching(/^ey/)] });
  });

  it('refuses a public key as --issuer, a private key as --subject, a wrong curve, bad numbers and durations', () => {
    const base = ['credential', 'issue', '--issuer', 'root.jwk', '--subject', agentDid, '--tools', 'search', '--ttl', '1h'];
    refused([...base.slice(0, 2), '--issuer', 'agent.pub.jwk', ...base.slice(4)], /^error: --issuer: agent\.pub\.jwk holds a public key where a private key is expected/);
    refused([...base.slice(0, 4), '--subject', 'agent.jwk', ...base.slice(6)], /^error: --subject: agent\.jwk holds a private key \('d'\) where a public key is expected/);
    writeFileSync(join(dir, 'x25519.jwk'), JSON.stringify({ kty: 'OKP', crv: 'X25519', x: 'x7M59W0IJapZzToxmfTMVAOXs_yjt_HcFRaUxQ3NmsY', d: 'x7M59W0IJapZzToxmfTMVAOXs_yjt_HcFRaUxQ3NmsY' }), { mode: 0o600 });
    refused([...base.slice(0, 2), '--issuer', 'x25519.jwk', ...base.slice(4)], /^error: --issuer: x25519\.jwk: crv must be 'Ed25519'/);
    refused([...base.slice(0, 2), '--issuer', 'missing.jwk', ...base.slice(4)], /^error: --issuer: missing\.jwk does not exist; create a key with 'agt identity new --out missing\.jwk'/);
    refused([...base, '--ring', '-1'], /^error: --ring must be a whole number from 1 to 3$/);
    refused([...base, '--ring', '0'], /^error: --ring must be a whole number from 1 to 3$/);
    refused([...base, '--trust', '1001'], /^error: --trust must be a whole number from 0 to 1000$/);
    refused([...base.slice(0, 8), '--ttl', '60'], /^error: --ttl '60' is not a duration; give --ttl a whole number and a unit: 30s, 10m, 1h or 7d$/);
    refused([...base.slice(0, 6), '--tools', 'crm read', '--ttl', '1h'], /^error: cannot issue: the claim 'tools\.0' must hold tool globs/);
    refused([...base.slice(0, 4), '--subject', 'did:key:z6Mkbad', ...base.slice(6)], /^error: --subject: the did:key/);
  });

  it('never overwrites a credential file', () => {
    refused(['credential', 'issue', '--issuer', 'root.jwk', '--subject', agentDid, '--tools', 'search', '--ttl', '1h', '--out', 'agent.cred'], /^error: agent\.cred already exists/);
  });

  it('has --help with the issue\'s example', () => {
    expect(agt(['credential', 'issue', '--help']).stdout).toContain("--tools 'crm.*,search' --trust 600 --ttl 1h --out agent.cred");
  });
});

describe('agt identity sign', () => {
  it('attaches a signed envelope over exactly that action, which a verifier trusting the issuer accepts once', () => {
    const run = agt(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', 'request.json', '--aud', AUD]);
    expect(run.code).toBe(0);
    const [signed] = signedLines(run.stdout);
    expect(signed).toMatchObject({ tool_name: 'crm.read', args: { id: 7 }, proof: { kind: 'envelope', envelope: { tool: 'crm.read', stage: 'pre_tool', did: agentDid, aud: AUD } } });
    const v = verifier();
    expect(verify(v, signed!)).toMatchObject({ ok: true, subject: agentDid, ring: 2, roles: ['support'], trust: 600, proof: 'envelope' });
    expect(verify(v, signed!)).toMatchObject({ ok: false, kind: 'replayed' });
    // tampered after signing: another argument, another tool
    expect(verify(verifier(), { ...signed!, args: { id: 8 } })).toMatchObject({ ok: false, kind: 'signature' });
    expect(verify(verifier(), { ...signed!, tool_name: 'crm.delete' })).toMatchObject({ ok: false, kind: 'signature' });
  });

  it('signs JSONL line by line (stdin too), each with its own nonce, and keeps a request\'s stage', () => {
    const lines = [{ tool_name: 'crm.read', args: { id: 1 } }, { tool_name: 'search', args: { q: 'x' }, stage: 'pre_tool_call' }, { tool_name: 'crm.read', args: { id: 1 }, proof: { kind: 'jwt', token: 'old' } }];
    const run = agt(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', '-', '--aud', AUD, '--json'], lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(run.code).toBe(0);
    const signed = signedLines(run.stdout);
    expect(signed).toHaveLength(3);
    expect(new Set(signed.map((s) => s.proof.envelope.nonce)).size).toBe(3);
    expect(signed[1]?.proof.envelope.stage).toBe('pre_tool');
    expect(signed[2]?.proof.kind).toBe('envelope');
    const v = verifier();
    expect(signed.map((s) => verify(v, { ...s, stage: s.stage === undefined ? undefined : 'pre_tool' }).ok)).toEqual([true, true, true]);
  });

  it('names the line of a request file that is not JSON, or not a request', () => {
    writeFileSync(join(dir, 'bad.jsonl'), '{"tool_name":"a"}\n\nnot json\n');
    refused(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', 'bad.jsonl', '--aud', AUD], /^error: bad\.jsonl:3: not JSON/);
    writeFileSync(join(dir, 'bad.json'), '{\n  "tool_name": "a",\n  oops\n}\n');
    refused(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', 'bad.json', '--aud', AUD], /^error: bad\.json:3:3: not JSON/);
    writeFileSync(join(dir, 'notool.jsonl'), '{"tool_name":"a"}\n{"args":{}}\n');
    refused(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', 'notool.jsonl', '--aud', AUD], /^error: notool\.jsonl:2: the request has no tool_name/);
  });

  it('refuses a credential file with garbage, a key the credential does not name, and no audience', () => {
    writeFileSync(join(dir, 'garbage.cred'), 'hello world\n');
    refused(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'garbage.cred', '--input', 'request.json', '--aud', AUD], /^error: --credential: garbage\.cred:1: not a compact JWT/);
    writeFileSync(join(dir, 'empty.cred'), '\n\n');
    refused(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'empty.cred', '--input', 'request.json', '--aud', AUD], /^error: --credential: empty\.cred holds no credential/);
    writeFileSync(join(dir, 'long.cred'), 'a.b.c\n'.repeat(7));
    refused(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'long.cred', '--input', 'request.json', '--aud', AUD], /^error: --credential: long\.cred holds more than 6 tokens/);
    refused(['identity', 'sign', '--key', 'child.jwk', '--credential', 'agent.cred', '--input', 'request.json', '--aud', AUD], /^error: --credential names did:key:\S+ as its holder, not did:key:\S+ \(the DID of --key\)/);
    refused(['identity', 'sign', '--key', 'agent.jwk', '--credential', 'agent.cred', '--input', 'request.json'], /^error: no audience to address the envelope to: pass --aud/);
  });
});

describe('agt credential delegate', () => {
  const delegated = agt(['credential', 'delegate', '--key', 'agent.jwk', '--credential', 'agent.cred', '--subject', childDid, '--tools', 'crm.read', '--ttl', '10m', '--out', 'child.cred']);

  it('appends one narrower link; the child signs with it and is verified with the narrowed authority', () => {
    expect(delegated.code).toBe(0);
    expect(delegated.stdout).toMatch(/^wrote child\.cred: delegated credential \(1 link\) [\w-]+ for did:key:\S+\n {2}grants ring 2, roles \[support\], tools \[crm\.read\], trust 600/);
    const lines = readFileSync(join(dir, 'child.cred'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe(readFileSync(join(dir, 'agent.cred'), 'utf8').trim());
    const run = agt(['identity', 'sign', '--key', 'child.jwk', '--credential', 'child.cred', '--input', 'request.json', '--aud', AUD]);
    const verified = verify(verifier(), signedLines(run.stdout)[0]!);
    expect(verified).toMatchObject({ ok: true, subject: childDid, tools: ['crm.read'], delegationDigest: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('refuses a ttl past the parent\'s expiry, widened tools, ring, trust or roles, and the wrong key', () => {
    const base = ['credential', 'delegate', '--key', 'agent.jwk', '--credential', 'agent.cred', '--subject', childDid];
    refused([...base, '--tools', 'crm.read', '--ttl', '2h'], /^error: --ttl 2h outlives the parent credential, which expires in 5\dm; delegation only narrows authority: give --ttl 5\dm or less$/);
    refused([...base, '--tools', 'crm.read,db.*', '--ttl', '5m'], /^error: cannot delegate: the link widens authority: its tool glob 2 is not within its parent's tools; --tools must stay within the parent's tools \(crm\.\*, search\)$/);
    refused([...base, '--tools', '*', '--ttl', '5m'], /widens authority: its tool glob 1/);
    refused([...base, '--tools', 'crm.read', '--ring', '1', '--ttl', '5m'], /ring is more privileged than its parent's; --ring must be 2 or higher/);
    refused([...base, '--tools', 'crm.read', '--trust', '700', '--ttl', '5m'], /trust is above its parent's; --trust must be at most 600/);
    refused([...base, '--tools', 'crm.read', '--roles', 'admin', '--ttl', '5m'], /role 1 is not one of its parent's roles/);
    refused(['credential', 'delegate', '--key', 'child.jwk', ...base.slice(4), '--tools', 'crm.read', '--ttl', '5m'], /the key is not the parent credential's subject/);
  });

  it('a child cannot delegate more than it holds either', () => {
    const grandchild = newKey('grandchild.jwk');
    refused(['credential', 'delegate', '--key', 'child.jwk', '--credential', 'child.cred', '--subject', grandchild, '--tools', 'crm.*', '--ttl', '5m'], /widens authority/);
    const ok = agt(['credential', 'delegate', '--key', 'child.jwk', '--credential', 'child.cred', '--subject', grandchild, '--tools', 'crm.read', '--ttl', '5m', '--json']);
    expect(JSON.parse(ok.stdout)).toMatchObject({ subject: grandchild, delegationLinks: 2, tools: ['crm.read'] });
  });
});

describe('agt identity revoke', () => {
  it('writes to the state store, so a verifier reading it refuses the agent; revoking twice says so', () => {
    const first = agt(['identity', 'revoke', childDid]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe(`revoked ${childDid} in .agt/state.db; its next action is denied (identity:revoked)\n`);
    const again = agt(['identity', 'revoke', childDid, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ id: childDid, alreadyRevoked: true, store: '.agt/state.db' });
    const store = new SqliteRevocationStore(join(dir, '.agt/state.db'));
    expect(new RevocationList(store).isRevoked(childDid)).toBe(true);
    store.close();
  });

  it('refuses what is no revocable id (spaces, other DID methods, malformed did:key or SPIFFE ID, a file), and a state path that is not a database', () => {
    refused(['identity', 'revoke', 'not a jti!'], /^error: cannot revoke: besides a did:key or a SPIFFE ID, an id .* is 1-512 visible ASCII characters/);
    refused(['identity', 'revoke', 'did:key:zzz'], /^error: cannot revoke: the did:key/);
    refused(['identity', 'revoke', 'did:web:example.com'], /^error: cannot revoke: /);
    refused(['identity', 'revoke', 'spiffe://example.org/a/../b'], /^error: cannot revoke: the SPIFFE ID's path has a '\.' or '\.\.' segment/);
    refused(['identity', 'revoke', 'child.cred'], /^error: child\.cred is a file; pass the id itself/);
  });

  it('revokes a SPIFFE ID, a trust domain and an OIDC subject; a colon-separated fingerprint is recorded as the hex verifiers compare', () => {
    for (const id of ['spiffe://example.org/ns/prod/sa/billing', 'spiffe://example.org', 'auth0|5f7c8ec7c33c6c004bbafe82']) {
      expect(JSON.parse(agt(['identity', 'revoke', id, '--json']).stdout)).toMatchObject({ id, alreadyRevoked: false });
    }
    const colons = Array.from({ length: 32 }, (_, i) => (i + 160).toString(16).toUpperCase()).join(':');
    expect(JSON.parse(agt(['identity', 'revoke', colons, '--json']).stdout)).toMatchObject({ id: colons.replaceAll(':', '').toLowerCase(), alreadyRevoked: false });
    expect(JSON.parse(agt(['identity', 'revoke', colons.toLowerCase(), '--json']).stdout)).toMatchObject({ alreadyRevoked: true });
  });
});

describe('credential ids on the command line', () => {
  it("a fresh credential's jti never reads as an option, and an id that begins with '-' is revoked after --", async () => {
    for (let i = 0; i < 200; i++) expect(freshCredentialId()).toMatch(/^[0-9a-f]{8}-/);
    const dashed = '-aXh3n2c5aU1sYyOZb1DGw';
    expect(JSON.parse(agt(['identity', 'revoke', '--json', '--', dashed]).stdout)).toMatchObject({ id: dashed, alreadyRevoked: false });
  });
});

describe('help', () => {
  it('lists the identity and credential commands with examples', () => {
    for (const command of [['identity'], ['credential'], ['identity', 'show'], ['identity', 'sign'], ['identity', 'revoke'], ['credential', 'delegate']]) {
      const run = agt([...command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Examples:');
    }
  });
});
