import { readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { PolicyIssue } from '../../core/errors.js';

/**
 * What an engine needs while it loads: where its document's relative paths start, and how to
 * report a problem at a key of the document or at a place in one of the engine's own files.
 * Loading collects every problem (like compile does) rather than stopping at the first.
 */
export interface EngineLoadContext {
  /** Directory relative engine paths resolve against: the policy file's, or the working directory. */
  baseDir: string;
  /** Reports a problem at a key of the policy document, e.g. `['engines', 'cedar', 'policies']`. */
  atKey(path: (string | number)[], code: string, message: string, hint?: string): void;
  /** Reports a problem inside an engine file (a `.cedar` or `.rego` source). */
  inFile(issue: Omit<PolicyIssue, 'severity'>): void;
}

/** Largest engine file read: the same bound as a policy file. */
export const MAX_ENGINE_FILE_BYTES = 4 * 1024 * 1024;

/** A file an engine reads, with the label its messages use (relative to the working directory). */
export interface EngineFile {
  path: string;
  label: string;
  bytes: Buffer;
}

/** Reads the file a document key names; reports and returns null when it is missing or too large. */
export function readEngineFile(context: EngineLoadContext, name: string, key: (string | number)[]): EngineFile | null {
  const path = resolve(context.baseDir, name);
  const label = relative(process.cwd(), path) || path;
  let size: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) throw new Error('not a file');
    size = stats.size;
  } catch {
    context.atKey(key, 'engine-file-missing', `'${name}': no such file (looked for ${label})`, 'paths are relative to the policy file');
    return null;
  }
  if (size > MAX_ENGINE_FILE_BYTES) {
    context.atKey(key, 'engine-file-too-large', `'${name}' is ${size} bytes; the limit is ${MAX_ENGINE_FILE_BYTES}`);
    return null;
  }
  return { path, label, bytes: readFileSync(path) };
}

/** Line and column (1-based) of a UTF-8 byte offset in `text`, as editors count them. */
export function positionOfByte(text: string, byteOffset: number): { line: number; column: number } {
  const before = Buffer.from(text, 'utf8').subarray(0, Math.max(0, byteOffset)).toString('utf8');
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}
