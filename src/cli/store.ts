import { join, dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { Option } from 'commander';
import { DEFAULT_STORE_PATH, SqliteAuditSink } from '../audit/sqlite-sink.js';
import { openStoreReadOnly } from '../audit/sqlite-verify.js';
import { describeError } from '../core/errors.js';
import { UsageError } from './errors.js';
import { checkSigningKeyFile } from './keys.js';
import { readHead, requireFileOrNothing } from './paths.js';

/** `--store PATH`: the audit store a command reads or writes ($AGT_AUDIT_STORE, else .agt/audit.db). */
export function storeOption(): Option {
  return new Option('--store <path>', 'audit store (SQLite)').env('AGT_AUDIT_STORE').default(DEFAULT_STORE_PATH);
}

const STORE_FIX = 'pass --store the path of an audit store file (`agt demo` makes one)';
/** The first 16 bytes of every SQLite database file. */
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Refuses a store path that SQLite must not be handed: a directory, a FIFO or device (opening one
 * blocks or reads without end), a file that is not an SQLite database. Says what is there.
 */
export function checkStorePath(path: string): 'missing' | 'empty' | 'database' {
  if (!requireFileOrNothing(path, 'an audit store', STORE_FIX)) return 'missing';
  const head = readHead(path, SQLITE_HEADER.length, STORE_FIX);
  // An empty file is a database SQLite has not written yet; anything else must start with the header.
  if (head.length === 0) return 'empty';
  if (!head.equals(SQLITE_HEADER)) throw new UsageError(`${path} is not an SQLite database, so not an agt audit store; ${STORE_FIX}`);
  return 'database';
}

/** Opens an existing store read-only; a missing or foreign file is a usage error saying what to do. */
export function openExistingStore(path: string): Database.Database {
  if (checkStorePath(path) === 'missing') throw new UsageError(`no audit store at ${path}; run \`agt demo\` to make one, or pass --store PATH`);
  try {
    return openStoreReadOnly(path);
  } catch (error) {
    throw new UsageError(firstLine(error));
  }
}

/**
 * Checks, without writing anything, that a store can be opened for appending at `path`: nothing
 * there yet or an agt store (never someone else's database, which opening for writing would
 * switch to WAL), and a signing key (`keyPath`, default beside the store) that is a file or not yet made.
 */
export function checkWritableStore(path: string, keyPath?: string): void {
  if (checkStorePath(path) === 'database') openExistingStore(path).close();
  const key = keyPath ?? join(dirname(path), 'audit-signing-key.pem');
  const fix = keyPath === undefined ? 'move it away, or give --store a path in another folder' : 'pass --key the PEM file of an Ed25519 private key, or a new path to make one';
  if (requireFileOrNothing(key, 'a signing key', fix)) checkSigningKeyFile(key, fix);
}

/** Opens (creating if need be) the store at `path` for appending, after {@link checkWritableStore}. */
export function openWritableStore(path: string, keyPath?: string): SqliteAuditSink {
  checkWritableStore(path, keyPath);
  try {
    return new SqliteAuditSink({ path, ...(keyPath === undefined ? {} : { keyPath }) });
  } catch (error) {
    throw new UsageError(firstLine(error));
  }
}

function firstLine(error: unknown): string {
  return describeError(error).split('\n')[0] ?? '';
}
