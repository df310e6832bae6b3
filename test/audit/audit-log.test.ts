import { closeSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { entryHash, GENESIS_HASH, hashedContent, type AuditEntry } from '../../src/audit/entry.js';
import { JsonlAuditSink, readJsonl } from '../../src/audit/jsonl-sink.js';
import { PARALLEL_MIN_ENTRIES, verifyChain, verifyStore } from '../../src/audit/verify.js';
import { RecordStore } from '../../src/audit/record-store.js';
import { canonicalJson } from '../../src/core/canonical-json.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: audit-test
default_action: allow
rules:
  - { name: no-drop, condition: "action.type == 'drop'", action: deny, message: "no dropping" }
`);

function fill(log: AuditLog, n: number): void {
  for (let i = 0; i < n; i++) {
    const request = { tool_name: 'db', action: { type: i % 3 === 0 ? 'drop' : 'read' }, args: { i, password: 'hunter2' }, agent: { id: `agent-${i % 2}` } };
    log.append({ request, decision: evaluator.evaluate(request) });
  }
}

describe('AuditLog', () => {
  it('records one chained entry per decision, with a digest of the arguments instead of the arguments', () => {
    const log = new AuditLog({ clock: () => Date.UTC(2026, 0, 1) });
    const request = { tool_name: 'db', action: { type: 'drop' }, args: { table: 'users', password: 'hunter2' }, agent: { id: 'a1' } };
    const decision = evaluator.evaluate(request);
    const entry = log.append({ request, decision });
    expect(entry).toMatchObject({
      seq: 1,
      timestamp: '2026-01-01T00:00:00.000Z',
      agent: 'a1',
      stage: 'pre_tool',
      tool: 'db',
      actionType: 'drop',
      verdict: 'deny',
      rule: 'no-drop',
      policy: 'audit-test',
      reason: 'no dropping',
      policyRevision: evaluator.revision,
      decisionId: decision.decisionId,
      prevHash: GENESIS_HASH,
    });
    expect(entry.argsDigest).toBe(createHash('sha256').update(canonicalJson(request.args)).digest('hex'));
    expect(JSON.stringify(entry)).not.toContain('hunter2');
    expect(entry.entryId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('hashes SHA-256 over the RFC 8785 canonical JSON of the entry without its hash (and without null identities)', () => {
    const log = new AuditLog();
    fill(log, 3);
    for (const entry of log.entries()) {
      expect(entry).toMatchObject({ inputIdentity: null, enforcedIdentity: null });
      const { hash, inputIdentity: _i, enforcedIdentity: _e, ...rest } = entry;
      expect(hashedContent(entry)).toBe(canonicalJson(rest));
      expect(hash).toBe(createHash('sha256').update(canonicalJson(rest)).digest('hex'));
    }
    const [first, second] = log.entries() as [AuditEntry, AuditEntry];
    expect(second.prevHash).toBe(first.hash);
  });

  it('verifies an intact chain', () => {
    const log = new AuditLog();
    fill(log, 50);
    expect(log.verify()).toEqual({ ok: true, entries: 50, firstBadSeq: null, reason: null });
    expect(new AuditLog().verify()).toEqual({ ok: true, entries: 0, firstBadSeq: null, reason: null });
  });

  it('hands out frozen entries: mutating them cannot change the log', () => {
    const log = new AuditLog();
    fill(log, 5);
    const entries = log.entries() as AuditEntry[];
    expect(Object.isFrozen(entries[2])).toBe(true);
    expect(() => {
      (entries[2] as { verdict: string }).verdict = 'allow';
    }).toThrow(TypeError);
    entries.splice(1, 1); // the returned array is a copy
    expect(log.entries()).toHaveLength(5);
    expect(log.verify().ok).toBe(true);
  });

  it('keeps separate chains for separate logs', () => {
    const a = new AuditLog();
    const b = new AuditLog();
    fill(a, 2);
    fill(b, 1);
    expect(b.entries()[0]?.seq).toBe(1);
    expect(a.length).toBe(2);
  });
});

describe('verifyChain detects and locates tampering', () => {
  const clean = (): Record<string, unknown>[] => {
    const log = new AuditLog();
    fill(log, 10);
    return log.entries().map((e) => ({ ...e }));
  };

  it('an edited field', () => {
    const entries = clean();
    const victim = entries[4] as Record<string, unknown>;
    victim.verdict = victim.verdict === 'allow' ? 'deny' : 'allow';
    expect(verifyChain(entries)).toMatchObject({ ok: false, firstBadSeq: 5, reason: expect.stringMatching(/hash does not match/) });
  });

  it('an edited field with its hash recomputed (breaks the next link)', () => {
    const entries = clean();
    const victim = entries[4] as Record<string, unknown>;
    victim.reason = 'nothing to see';
    victim.hash = entryHash(victim);
    expect(verifyChain(entries)).toMatchObject({ ok: false, firstBadSeq: 6, reason: expect.stringMatching(/prevHash/) });
  });

  it('a deleted entry', () => {
    const entries = clean();
    entries.splice(3, 1);
    expect(verifyChain(entries)).toMatchObject({ ok: false, firstBadSeq: 4, reason: expect.stringMatching(/deleted/) });
  });

  it('an inserted entry', () => {
    const entries = clean();
    entries.splice(2, 0, { ...(entries[6] as object) });
    expect(verifyChain(entries)).toMatchObject({ ok: false, firstBadSeq: 3 });
  });

  it('two swapped entries', () => {
    const entries = clean();
    [entries[6], entries[7]] = [entries[7] as Record<string, unknown>, entries[6] as Record<string, unknown>];
    expect(verifyChain(entries)).toMatchObject({ ok: false, firstBadSeq: 7 });
  });

  it('an added field, a removed field, a wrong type', () => {
    const added = clean();
    (added[1] as Record<string, unknown>).note = 'x';
    expect(verifyChain(added)).toMatchObject({ ok: false, firstBadSeq: 2, reason: expect.stringMatching(/unexpected field.*note/) });
    const removed = clean();
    delete (removed[8] as Record<string, unknown>).rule;
    expect(verifyChain(removed)).toMatchObject({ ok: false, firstBadSeq: 9, reason: expect.stringMatching(/missing field.*rule/) });
    const typed = clean();
    (typed[0] as Record<string, unknown>).seq = '1';
    expect(verifyChain(typed)).toMatchObject({ ok: false, firstBadSeq: 1, reason: expect.stringMatching(/wrong type/) });
  });

  it('never throws on malformed input', () => {
    for (const junk of [[null], ['text'], [[1, 2]], [42], [{}], [{ seq: 1 }], [Object.create(null)]]) {
      expect(() => verifyChain(junk)).not.toThrow();
      expect(verifyChain(junk)).toMatchObject({ ok: false, firstBadSeq: 1 });
    }
  });
});

describe('JsonlAuditSink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agt-audit-'));

  it('writes one JSON line per entry, continues the chain across reopenings, and verifies', () => {
    const path = join(dir, 'audit.jsonl');
    const first = new AuditLog({ sink: new JsonlAuditSink(path) });
    fill(first, 3);
    first.close();
    const second = new AuditLog({ sink: new JsonlAuditSink(path) });
    fill(second, 2);
    second.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(5);
    expect(JSON.parse(lines[3] as string).seq).toBe(4);
    expect(verifyChain(readJsonl(path))).toMatchObject({ ok: true, entries: 5 });
  });

  it('flushes on its own after the current tick', async () => {
    const path = join(dir, 'auto.jsonl');
    const log = new AuditLog({ sink: new JsonlAuditSink(path) });
    fill(log, 4);
    await new Promise((resolve) => setImmediate(resolve));
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(4);
    log.close();
  });

  it('reports a tampered or corrupt file by sequence number', () => {
    const path = join(dir, 'tamper.jsonl');
    const log = new AuditLog({ sink: new JsonlAuditSink(path) });
    fill(log, 6);
    log.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    lines[2] = (lines[2] as string).replace(/"agent":"agent-\d"/, '"agent":"agent-9"');
    writeFileSync(path, lines.join('\n') + '\n');
    expect(verifyChain(readJsonl(path))).toMatchObject({ ok: false, firstBadSeq: 3 });
    writeFileSync(path, [lines[0], '{not json', lines[2]].join('\n') + '\n');
    expect(verifyChain(readJsonl(path))).toMatchObject({ ok: false, firstBadSeq: 2, reason: expect.stringMatching(/not a JSON object/) });
  });
});

describe('verifyChain on long chains (two cores)', () => {
  const evaluatorForChain = evaluator;
  const build = (n: number): Record<string, unknown>[] => {
    const log = new AuditLog();
    for (let i = 0; i < n; i++) {
      const request = { tool_name: 'db', action: { type: i % 5 === 0 ? 'drop' : 'read' }, args: { i }, agent: { id: `a${i % 3}` } };
      log.append({ request, decision: evaluatorForChain.evaluate(request) });
    }
    return log.entries().map((e) => ({ ...e }));
  };
  const n = PARALLEL_MIN_ENTRIES + 15_000;
  const pristine = build(n);

  it('accepts an intact chain, and says the same as a one-at-a-time check', () => {
    expect(verifyChain(pristine)).toEqual({ ok: true, entries: n, firstBadSeq: null, reason: null });
  });

  it.each([1, 2, 4097, 9000, 20_001, n - 1, n])('finds an edit at entry %i, wherever the chunk was hashed', (seq) => {
    const entries = pristine.map((e) => ({ ...e }));
    (entries[seq - 1] as Record<string, unknown>).reason = 'tampered';
    const result = verifyChain(entries);
    expect(result).toMatchObject({ ok: false, firstBadSeq: seq, reason: expect.stringMatching(/hash does not match/) });
    expect(result).toEqual(verifyChain(entries, { parallel: false }));
  });

  it('reports the earliest of several problems, of any kind', () => {
    const entries = pristine.map((e) => ({ ...e }));
    (entries[25_000] as Record<string, unknown>).agent = 'x';
    entries.splice(30_000, 1);
    (entries[12_345] as Record<string, unknown>).hash = 'not hex';
    const result = verifyChain(entries);
    expect(result.firstBadSeq).toBe(12_346);
    expect(result).toEqual(verifyChain(entries, { parallel: false }));
  });

  it('reports structural problems before later hash mismatches', () => {
    const entries = pristine.map((e) => ({ ...e }));
    entries.splice(5, 1);
    (entries[30_000] as Record<string, unknown>).verdict = 'x';
    expect(verifyChain(entries)).toMatchObject({ firstBadSeq: 6, reason: expect.stringMatching(/deleted/) });
  });

  it('handles entries with text that JSON must escape, and large entries', () => {
    const log = new AuditLog();
    const weird = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1\nname: "q\\"uote €"\ndefault_action: allow\nrules:\n  - { name: r, action: warn, message: "line\\nbreak \\u0001 \\\\ ${'x'.repeat(5000)} 😀" }\n`);
    for (let i = 0; i < PARALLEL_MIN_ENTRIES + 10; i++) {
      const request = { tool_name: `t"${i % 7}`, args: { i }, agent: { id: 'é' } };
      log.append({ request, decision: weird.evaluate(request) });
    }
    expect(log.verify()).toMatchObject({ ok: true });
    const entries = log.entries().map((e) => ({ ...e }));
    (entries[20_005] as Record<string, unknown>).tool = 't"9';
    expect(verifyChain(entries)).toMatchObject({ ok: false, firstBadSeq: 20_006 });
  });
});

describe('verifyStore (the memory sink’s stored content and hashes)', () => {
  const make = (n: number) => {
    const log = new AuditLog();
    fill(log, n);
    const entries = log.entries();
    return { contents: entries.map((e) => hashedContent(e)), hashes: entries.map((e) => e.hash) };
  };
  const storeOf = (contents: readonly string[], hashes: readonly string[]) => {
    const store = new RecordStore();
    contents.forEach((content, i) => store.append(content, hashes[i] as string));
    return store;
  };

  it.each([5, PARALLEL_MIN_ENTRIES + 5000])('accepts an intact log of %i entries and locates every kind of damage', (n) => {
    const { contents, hashes } = make(n);
    expect(verifyStore(storeOf(contents, hashes))).toMatchObject({ ok: true, entries: n });
    for (const at of [0, n - 3]) {
      const edited = [...contents];
      edited[at] = (edited[at] as string).replace('"agent":"agent-', '"agent":"agent-x');
      const result = verifyStore(storeOf(edited, hashes));
      expect(result).toMatchObject({ ok: false, firstBadSeq: at + 1, reason: expect.stringMatching(/hash does not match/) });
      expect(result).toEqual(verifyStore(storeOf(edited, hashes), { parallel: false }));
    }
    const deleted = [...contents];
    const deletedHashes = [...hashes];
    deleted.splice(2, 1);
    deletedHashes.splice(2, 1);
    expect(verifyStore(storeOf(deleted, deletedHashes))).toMatchObject({ ok: false, firstBadSeq: 3, reason: expect.stringMatching(/sequence number/) });
    const swapped = [...contents];
    const swappedHashes = [...hashes];
    [swapped[1], swapped[2]] = [swapped[2] as string, swapped[1] as string];
    [swappedHashes[1], swappedHashes[2]] = [swappedHashes[2] as string, swappedHashes[1] as string];
    expect(verifyStore(storeOf(swapped, swappedHashes))).toMatchObject({ ok: false, firstBadSeq: 2 });
    const relinked = [...contents];
    relinked[4] = (relinked[4] as string).replace(/"prevHash":"[0-9a-f]{4}/, '"prevHash":"0000');
    expect(verifyStore(storeOf(relinked, hashes))).toMatchObject({ ok: false, firstBadSeq: 5, reason: expect.stringMatching(/prevHash/) });
  });

  it('keeps content byte-exact across chunks, including non-ASCII text', () => {
    const store = new RecordStore();
    const texts = ['plain', 'é€😀', 'x'.repeat(100_000)];
    texts.forEach((t, i) => store.append(t, String(i).padStart(64, '0')));
    expect(texts.map((_, i) => store.content(i))).toEqual(texts);
    expect(store.hash(1)).toBe('1'.padStart(64, '0'));
  });
});

describe('JsonlAuditSink at exit', () => {
  it('writes what is still buffered when the process exits', async () => {
    const { spawnSync } = await import('node:child_process');
    const dir = mkdtempSync(join(tmpdir(), 'agt-exit-'));
    const path = join(dir, 'audit.jsonl');
    const script = `
      import { AuditLog, JsonlAuditSink, PolicyEvaluator } from ${JSON.stringify(join(import.meta.dirname, '../../dist/index.js'))};
      const evaluator = PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\\nname: p\\ndefault_action: allow\\nrules: []\\n');
      for (let k = 0; k < 12; k++) {
        const log = new AuditLog({ sink: new JsonlAuditSink(${JSON.stringify(path)}.replace('.jsonl', '-' + k + '.jsonl')) });
        for (let i = 0; i < 3; i++) log.append({ request: { tool_name: 't' }, decision: evaluator.evaluate({ tool_name: 't' }) });
      }
      process.exit(0); // before any setImmediate flush could run
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).not.toMatch(/MaxListeners/);
    expect(result.status).toBe(0);
    for (let k = 0; k < 12; k++) {
      expect(verifyChain(readJsonl(path.replace('.jsonl', `-${k}.jsonl`)))).toMatchObject({ ok: true, entries: 3 });
    }
  });
});

describe('JsonlAuditSink write failures', () => {
  it('never crash the process; the next append fails, so the kernel denies', async () => {
    const { Kernel } = await import('../../src/kernel/kernel.js');
    const sink = new JsonlAuditSink(join(mkdtempSync(join(tmpdir(), 'agt-fail-')), 'audit.jsonl'));
    closeSync((sink as unknown as { fd: number }).fd); // the file goes away under the sink: every write fails
    const log = new AuditLog({ sink });
    const kernel = new Kernel({ policy: evaluator, audit: log });
    expect(kernel.decide({ tool_name: 'db', action: 'read' }).verdict).toBe('allow'); // buffered
    await new Promise((resolve) => setImmediate(resolve)); // the batched write fails, quietly
    const next = kernel.decide({ tool_name: 'db', action: 'read' });
    expect(next).toMatchObject({ verdict: 'deny', allowed: false });
    expect(next.reason).toMatch(/^runtime_error:audit: .*failed to write/);
    expect(() => sink.flush()).toThrow();
  });

  it('refuse a path that is not a regular file', () => {
    expect(() => new JsonlAuditSink('/dev/null')).toThrow(/not a regular file/);
  });
});
