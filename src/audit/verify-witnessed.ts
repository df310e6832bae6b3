import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { describeError } from '../core/errors.js';
import { META, readWitnessLocations } from './sqlite-schema.js';
import { verifySqliteStore, type StoreVerifyOptions, type StoreVerifyResult } from './sqlite-verify.js';
import { isWitnessUrl, readWitness } from './witness-read.js';

/** How {@link verifyWitnessedStore} finds the witnesses to hold a store to. */
export interface WitnessedVerifyOptions extends Omit<StoreVerifyOptions, 'witnesses'> {
  /** Witnesses to read (file paths or http(s) URLs) besides the ones the store records: the auditor's own list, which the store cannot edit. */
  witnesses?: readonly string[];
  /** Also read the witnesses the store records in its meta (default true). */
  recordedWitnesses?: boolean;
  /** Give up on an HTTP witness after this long (default 10,000 ms). */
  timeoutMs?: number;
}

/**
 * Verifies a stored log as {@link verifySqliteStore} does, and holds it to its witnesses: the
 * ones given and the ones the store records. Without any, the result carries a warning that
 * completeness was not checked. Never throws; an unreadable witness is a failure.
 */
export async function verifyWitnessedStore(db: Database.Database, options: WitnessedVerifyOptions = {}): Promise<StoreVerifyResult> {
  const { witnesses = [], recordedWitnesses = true, timeoutMs, ...rest } = options;
  const failed = (reason: string): StoreVerifyResult => ({ ok: false, entries: 0, firstBadSeq: null, reason, checkpoints: 0, badCheckpoint: null, checkpointEvery: null, witnessed: null, warnings: [] });
  let sources;
  try {
    const recorded = recordedWitnesses ? readWitnessLocations(db) : [];
    if (recorded === null) return failed(`the store's witness list (meta ${META.witnesses}) is not a JSON array of locations: the meta table was edited`);
    const locations = [...new Set([...witnesses, ...recorded].map((location) => (isWitnessUrl(location) ? location : resolve(location))))];
    sources = await Promise.all(locations.map((location) => readWitness(location, timeoutMs === undefined ? {} : { timeoutMs })));
  } catch (error) {
    return failed(`could not read the witnesses: ${describeError(error)}`);
  }
  return verifySqliteStore(db, { ...rest, witnesses: sources });
}
