/** Audit: the hash-chained log of every decision, its sinks, and verification. */
export { AuditLog } from './audit-log.js';
export type { AuditLogOptions, AuditRecordInput } from './audit-log.js';
export { entryHash, hashedContent, digest, GENESIS_HASH } from './entry.js';
export type { AuditEntry } from './entry.js';
export { MemoryAuditSink } from './sink.js';
export type { AuditSink } from './sink.js';
export { JsonlAuditSink, readJsonl } from './jsonl-sink.js';
export { verifyChain } from './verify.js';
export type { VerifyResult } from './verify.js';
export { SqliteAuditSink, DEFAULT_STORE_PATH } from './sqlite-sink.js';
export type { SqliteAuditSinkOptions } from './sqlite-sink.js';
export { openStoreReadOnly, verifySqliteStore, readStoredEntries } from './sqlite-verify.js';
export type { StoreVerifyOptions, StoreVerifyResult } from './sqlite-verify.js';
export { MerkleFrontier } from './merkle-frontier.js';
export { MerkleTree, entryLeafHash, leafHash, emptyRoot, verifyInclusion, verifyConsistency, proofToHex, proofFromHex, hashFromHex } from './merkle.js';
export { CheckpointSigner, checkpointMessage, verifyCheckpoint } from './checkpoint.js';
export type { Checkpoint, CheckpointVerification } from './checkpoint.js';
