import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateAgentKey } from '../../src/identity/agent-key.js';
import { RevocationList } from '../../src/identity/revocation.js';
import { MemoryRevocationStore } from '../../src/state/revocation-store.js';
import { SqliteRevocationStore } from '../../src/state/sqlite-revocation-store.js';

const dir = mkdtempSync(join(tmpdir(), 'agt-revocation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = () => join(dir, `state-${n++}.db`);

describe('revocation list', () => {
  it('revokes DIDs and other ids (jti, OIDC subject: 1-512 visible ASCII), and refuses anything else without echoing it', () => {
    const list = new RevocationList(new MemoryRevocationStore(), () => 1234);
    const did = generateAgentKey().did;
    expect(list.revoke(did)).toEqual({ id: did, revokedAt: 1234 });
    expect(list.revoke('cred-1')).toMatchObject({ id: 'cred-1' });
    expect(list.isRevoked(did)).toBe(true);
    expect(list.isRevoked('cred-2')).toBe(false);
    for (const bad of ['did:key:zNOPE', 'did:web:example.com', '', 'has space', 'x'.repeat(513), 42 as unknown as string]) {
      const result = list.revoke(bad);
      expect(result, String(bad)).toMatchObject({ ok: false, kind: 'malformed' });
      if (typeof bad === 'string' && bad.length > 3) expect((result as { message: string }).message).not.toContain(bad);
    }
    expect(list.list().map((e) => e.id)).toEqual([did, 'cred-1']);
  });
});

describe('SQLite revocation store: one machine, many processes', () => {
  it('persists, and a second connection sees a revocation on its very next check', () => {
    const path = dbPath();
    const writer = new SqliteRevocationStore(path);
    const reader = new SqliteRevocationStore(path);
    expect(reader.has('cred-1')).toBe(false);
    writer.add('cred-1', 1);
    expect(reader.has('cred-1')).toBe(true);
    writer.add('cred-1', 2); // idempotent: the first time is kept
    writer.add('cred-2', 3);
    expect(reader.has('cred-2')).toBe(true);
    expect(reader.list()).toEqual([{ id: 'cred-1', revokedAt: 1 }, { id: 'cred-2', revokedAt: 3 }]);
    writer.close();
    reader.close();
    const reopened = new SqliteRevocationStore(path);
    expect(reopened.has('cred-1') && reopened.has('cred-2')).toBe(true);
    reopened.close();
  });

  it('a revocation written by another process denies the next check here', () => {
    const path = dbPath();
    const did = generateAgentKey().did;
    const list = new RevocationList(new SqliteRevocationStore(path));
    expect(list.isRevoked(did)).toBe(false);
    const script = join(import.meta.dirname, '../fixtures/identity/revoke-in-child.ts');
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, path, did], { encoding: 'utf8' });
    expect(JSON.parse(out)).toMatchObject({ id: did });
    expect(list.isRevoked(did)).toBe(true);
  });

  it('throws (so verifiers fail closed) when the store cannot be read', () => {
    const store = new SqliteRevocationStore(dbPath());
    store.close();
    expect(() => store.has('x')).toThrow();
  });
});
