import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { describeError, GovernanceError } from '../core/errors.js';
import { hashedContent, withIdentities, type AuditEntry } from './entry.js';
import { parseJsonl } from './jsonl-sink.js';
import type { SqliteAuditSink } from './sqlite-sink.js';
import { META, readMeta } from './sqlite-schema.js';
import { verifyChain } from './verify.js';

/** Formats a log can be exported in. */
export type ExportFormat = 'jsonl' | 'cloudevents';

/** The CloudEvents `type` of an exported audit entry. */
export const CLOUDEVENT_TYPE = 'dev.agentgovernance.audit.decision.v1';

/**
 * Writes a stored log out, entry by entry, in chain order.
 *
 * - `jsonl`: one entry per line, its canonical content with `hash` appended: the same lines a
 *   JsonlAuditSink writes, verifiable with `verifyChain(readJsonl(file))` and importable.
 * - `cloudevents`: a CloudEvents 1.0 JSON batch (a JSON array of structured-mode events), one
 *   event per entry, `data` the entry itself, `id` its entryId, `source` the log's identity
 *   (derived from its public key, so events from one log share it).
 */
export function* exportStore(db: Database.Database, format: ExportFormat): Generator<string> {
  const rows = db.prepare('SELECT seq, content, hash FROM entries ORDER BY seq').raw().iterate() as IterableIterator<[number, unknown, unknown]>;
  if (format === 'jsonl') {
    for (const [seq, content, hash] of rows) yield jsonlLine(seq, content, hash) + '\n';
    return;
  }
  const source = logSource(db);
  yield '[';
  let first = true;
  for (const [seq, content, hash] of rows) {
    const entry = JSON.parse(jsonlLine(seq, content, hash)) as Partial<AuditEntry>;
    const event = {
      specversion: '1.0',
      type: CLOUDEVENT_TYPE,
      source,
      id: typeof entry.entryId === 'string' ? entry.entryId : `seq-${seq}`,
      time: entry.timestamp,
      subject: entry.tool ?? entry.actionType ?? undefined,
      datacontenttype: 'application/json',
      // Both identities always appear in `data` (null when the entry has none): consumers see one shape, and null is not hashed.
      data: 'malformedRow' in entry ? entry : withIdentities(entry),
    };
    yield (first ? '\n' : ',\n') + JSON.stringify(event);
    first = false;
  }
  yield '\n]\n';
}

/** A stored row as a JSONL line; an unreadable row becomes an object verification will flag. */
function jsonlLine(seq: number, content: unknown, hash: unknown): string {
  const text = Buffer.isBuffer(content) ? content.toString('utf8') : typeof content === 'string' ? content : null;
  if (text === null || !text.endsWith('}') || typeof hash !== 'string') return JSON.stringify({ seq, malformedRow: `content is ${content === null ? 'NULL' : typeof content}` });
  return `${text.slice(0, -1)},"hash":${JSON.stringify(hash)}}`;
}

/** The log's CloudEvents `source`: a URN naming the log by its public key's fingerprint. */
export function logSource(db: Database.Database): string {
  const key = readMeta(db, META.publicKey);
  return `urn:agt:audit:${key ? createHash('sha256').update(key.trim()).digest('hex').slice(0, 16) : 'unsigned'}`;
}

/** What an import read and wrote. */
export interface ImportResult {
  entries: number;
}

/**
 * Imports an exported log (JSONL lines or a CloudEvents batch) into an empty store. The whole
 * chain is verified first and nothing is written unless it holds; the store then signs its own
 * checkpoints over it. Throws naming the first bad entry otherwise.
 */
export function importInto(sink: SqliteAuditSink, file: string): ImportResult {
  if (sink.last() !== null) throw new GovernanceError('ERR_AGT_AUDIT_STORE', `${sink.path} already holds entries; import into a new store (give --store a new path)`);
  const entries = readExport(file);
  const check = verifyChain(entries);
  if (!check.ok) throw new GovernanceError('ERR_AGT_AUDIT_CORRUPT', `${file}: the exported chain does not verify: ${check.reason}; nothing was imported`);
  for (const raw of entries) {
    const { hash, ...hashed } = raw as AuditEntry;
    sink.append({ entry: Object.freeze({ ...hashed, hash }), content: hashedContent(hashed) });
  }
  sink.flush();
  return { entries: entries.length };
}

/** The entries of an export as parsed values (markers for unreadable lines or events, which verification names). */
function readExport(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new GovernanceError('ERR_AGT_AUDIT_STORE', `cannot read ${file}: ${(error as NodeJS.ErrnoException | null)?.code ?? describeError(error)}`, { cause: error });
  }
  if (!text.trimStart().startsWith('[')) return [...parseJsonl(text)];
  let events: unknown;
  try {
    events = JSON.parse(text);
  } catch (error) {
    throw new GovernanceError('ERR_AGT_AUDIT_CORRUPT', `${file}: not valid JSON (a CloudEvents batch is one JSON array): ${describeError(error)}`, { cause: error });
  }
  return (events as unknown[]).map((event, i) => {
    if (typeof event !== 'object' || event === null || (event as { type?: unknown }).type !== CLOUDEVENT_TYPE) return `event ${i + 1} is not a ${CLOUDEVENT_TYPE} event`;
    return (event as { data?: unknown }).data;
  });
}
