/**
 * The helper thread's side of a two-thread store verification (see segment-thread.ts): it opens
 * its own read-only connection, checks its segment, and reports through shared memory. Whatever
 * happens, it reports: the caller waits for it synchronously.
 */
import { workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describeError } from '../core/errors.js';
import { CONTROL, DONE, reportOutcome, STARTED, type SegmentWorkerData } from './segment-thread.js';
import { tuneForReading } from './sqlite-schema.js';
import { verifySegment, type SegmentOutcome } from './store-segment.js';

const data = workerData as SegmentWorkerData;
const control = new Int32Array(data.control);
Atomics.store(control, CONTROL.state, STARTED);
Atomics.notify(control, CONTROL.state);
let outcome: SegmentOutcome;
try {
  const db = new Database(data.path, { readonly: true, fileMustExist: true });
  tuneForReading(db);
  try {
    outcome = verifySegment(db, data.range, Buffer.from(data.leaves), (checked) => Atomics.store(control, CONTROL.checked, checked));
  } finally {
    db.close();
  }
} catch (error) {
  outcome = { bad: { index: data.range.fromSeq - 1, reason: `could not be checked: ${describeError(error)}` } };
}
reportOutcome(data, outcome);
Atomics.store(control, CONTROL.state, DONE);
Atomics.notify(control, CONTROL.state);
