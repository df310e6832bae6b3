/**
 * `agent-governance-toolkit/audit`: the audit log's machinery beyond the root's AuditLog, sinks
 * and verifySqliteStore: entry hashing, chain verification, Merkle trees and proofs, signed
 * checkpoints, witnesses, export and import, statistics.
 */
export type { AuditRecordInput } from '../audit/audit-log.js';
export { entryHash, hashedContent, GENESIS_HASH } from '../audit/entry.js';
export { readJsonl } from '../audit/jsonl-sink.js';
export { verifyChain } from '../audit/verify.js';
export { DEFAULT_STORE_PATH } from '../audit/sqlite-sink.js';
export { openStoreReadOnly, readStoredEntries } from '../audit/sqlite-verify.js';
export type { StoreVerifyOptions } from '../audit/sqlite-verify.js';
export { WITNESS_FORMAT, parseWitnessText } from '../audit/witness.js';
export type { WitnessSource, WitnessLine } from '../audit/witness.js';
export type { FileWitnessOptions } from '../audit/file-witness.js';
export type { HttpWitnessOptions } from '../audit/http-witness.js';
export { readWitness } from '../audit/witness-read.js';
export type { WitnessedCheckpoint } from '../audit/witness-check.js';
export type { WitnessedVerifyOptions } from '../audit/verify-witnessed.js';
export { MerkleFrontier } from '../audit/merkle-frontier.js';
export { MerkleTree, entryLeafHash, leafHash, emptyRoot, verifyInclusion, verifyConsistency, proofToHex, proofFromHex, hashFromHex } from '../audit/merkle.js';
export { CheckpointSigner, checkpointMessage, verifyCheckpoint } from '../audit/checkpoint.js';
export type { Checkpoint, CheckpointVerification } from '../audit/checkpoint.js';
export { proveInclusion, proveConsistency, checkProof } from '../audit/proofs.js';
export type { InclusionProofDocument, ConsistencyProofDocument, ProofCheck } from '../audit/proofs.js';
export { exportStore, importInto, CLOUDEVENT_TYPE } from '../audit/export.js';
export type { ExportFormat, ImportResult } from '../audit/export.js';
export { auditStats } from '../audit/stats.js';
export type { AuditStats, VerdictCounts } from '../audit/stats.js';
