/**
 * Entries that carry a verified identity (issue 10) are checked by the independent Python
 * verifier like any other: it hashes the stored canonical content, so the identity is covered,
 * and editing it (say, to blame another agent) is caught at its sequence number.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

const SCRIPT = join(import.meta.dirname, '../../scripts/independent-verify.py');
const SUBJECT = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const VERIFIED = Object.freeze({
  ok: true as const, subject: SUBJECT, proof: 'session' as const, issuer: 'did:key:z6MkOperator', credentialId: 'cred-7',
  ring: 1, roles: Object.freeze(['support']), tools: Object.freeze(['crm.*']), trust: 600, expiresAt: Number.MAX_SAFE_INTEGER, delegationDigest: 'ab'.repeat(32),
});

describe('audit entries with a verified identity', () => {
  it('verify under the independent Python verifier, and an edited identity is caught', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'agt-identity-')), 'audit.db');
    const sink = new SqliteAuditSink({ path });
    const policy = PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\nname: ids\ndefault_action: deny\nrules:\n  - { name: inner, condition: "agent.ring <= 1", action: allow }\n');
    const kernel = new Kernel({ policy, audit: new AuditLog({ sink }), identity: { mode: 'zero-trust', verifier: { verify: () => VERIFIED } } });
    for (let i = 0; i < 5; i++) expect((await kernel.handle({ tool: 'crm.read', args: { i }, proof: { kind: 'session' } }, () => i)).kind).toBe('output');
    expect((await kernel.handle({ tool: 'crm.read', args: { i: 9 } }, () => 9)).kind).toBe('refused'); // no proof: a recorded denial
    expect(sink.verify()).toMatchObject({ ok: true });
    sink.close();

    const db = new Database(path);
    const contents = (db.prepare('SELECT content FROM entries ORDER BY seq').pluck().all() as Buffer[]).map((c) => JSON.parse(c.toString('utf8')) as Record<string, unknown>);
    db.close();
    expect(contents[0]?.identity).toEqual({ credentialId: 'cred-7', delegationDigest: 'ab'.repeat(32), proof: 'session', subject: SUBJECT });
    expect(contents.at(-1)?.identity).toBeUndefined();

    const ok = spawnSync('python3', [SCRIPT, path], { encoding: 'utf8' });
    expect(ok.stdout.trim()).toMatch(/^OK: 6 entries/);
    expect(ok.status).toBe(0);

    const edit = new Database(path);
    const second = (edit.prepare('SELECT content FROM entries WHERE seq = 2').pluck().get() as Buffer).toString('utf8');
    edit.prepare('UPDATE entries SET content = ? WHERE seq = 2').run(Buffer.from(second.replace(SUBJECT, 'did:key:z6MkSomeoneElse'), 'utf8'));
    edit.close();
    const caught = spawnSync('python3', [SCRIPT, path], { encoding: 'utf8' });
    expect(caught.status).toBe(1);
    expect(caught.stdout + caught.stderr).toMatch(/\b2\b/);
  });
});
