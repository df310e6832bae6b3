import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { Option } from 'commander';
import { DEFAULT_STORE_PATH } from '../audit/sqlite-sink.js';
import { openStoreReadOnly } from '../audit/sqlite-verify.js';
import { UsageError } from './errors.js';
import { describeError } from '../core/errors.js';

/** `--store PATH`: the audit store a command reads or writes ($AGT_AUDIT_STORE, else .agt/audit.db). */
export function storeOption(): Option {
  return new Option('--store <path>', 'audit store (SQLite)').env('AGT_AUDIT_STORE').default(DEFAULT_STORE_PATH);
}

/** Opens an existing store read-only; a missing or foreign file is a usage error saying what to do. */
export function openExistingStore(path: string): Database.Database {
  if (!existsSync(path)) throw new UsageError(`no audit store at ${path}; run \`agt demo\` to make one, or pass --store PATH`);
  try {
    return openStoreReadOnly(path);
  } catch (error) {
    throw new UsageError(describeError(error));
  }
}
