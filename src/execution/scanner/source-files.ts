import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { ScanLanguage, ScanNote } from './finding.js';

/** Largest file the scanner reads; larger ones are skipped with a note. */
export const MAX_SOURCE_BYTES = 16 * 1024 * 1024;

/** Directories never descended into when a directory is scanned. */
const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules', '.hg', '.svn', '__pycache__', '.venv']);

const BY_EXTENSION: Record<string, ScanLanguage> = {
  '.js': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript', '.jsx': 'javascript',
  '.ts': 'typescript', '.mts': 'typescript', '.cts': 'typescript', '.tsx': 'typescript',
  '.py': 'python', '.pyw': 'python',
  '.sh': 'shell', '.bash': 'shell',
};

/** A source file ready to parse. */
export interface SourceText {
  file: string;
  language: ScanLanguage;
  text: string;
}

/** What reading the given paths produced: files to parse and notes on what was skipped. */
export interface CollectedSources {
  sources: SourceText[];
  notes: ScanNote[];
}

/**
 * Reads every source file under `paths` (directories recursively, skipping `node_modules`, `.git`
 * and virtualenvs inside them). A path that does not exist throws; every other problem with a
 * file (binary, too large, unreadable, not a language the scanner knows) becomes a note.
 */
export function collectSources(paths: readonly string[]): CollectedSources {
  const collected: CollectedSources = { sources: [], notes: [] };
  for (const path of paths) {
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) throw new Error(`${path}: no such file or directory`);
    if (stats.isDirectory()) walk(path, collected);
    else readSource(path, true, collected);
  }
  return collected;
}

function walk(directory: string, collected: CollectedSources): void {
  const entries = readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.has(entry.name)) walk(path, collected);
    } else if (entry.isFile()) readSource(path, false, collected);
  }
}

/** Reads one file; `named` files (given on the command line) get a note when not scannable. */
function readSource(file: string, named: boolean, collected: CollectedSources): void {
  const byName = BY_EXTENSION[extname(file).toLowerCase()];
  if (byName === undefined && !named && extname(file) !== '') return; // other files in a tree are simply not source
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    collected.notes.push({ file, kind: 'unreadable', message: `could not read: ${(error as Error).message}` });
    return;
  }
  if (size > MAX_SOURCE_BYTES) {
    collected.notes.push({ file, kind: 'too_large', message: `skipped: ${size} bytes is over the ${MAX_SOURCE_BYTES}-byte limit per file` });
    return;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    collected.notes.push({ file, kind: 'unreadable', message: `could not read: ${(error as Error).message}` });
    return;
  }
  if (bytes.subarray(0, 8192).includes(0)) {
    if (byName !== undefined || named) collected.notes.push({ file, kind: 'binary', message: 'skipped: binary file (contains NUL bytes)' });
    return;
  }
  const text = bytes.toString('utf8');
  const language = byName ?? fromShebang(text);
  if (language === undefined) {
    if (named) collected.notes.push({ file, kind: 'unsupported', message: `skipped: ${basename(file)} is not JavaScript, TypeScript, Python or shell (by extension or #! line)` });
    return;
  }
  collected.sources.push({ file, language, text });
}

/** The language of a file by its extension, else its `#!` line; undefined when neither says. */
export function languageOf(file: string, text: string): ScanLanguage | undefined {
  return BY_EXTENSION[extname(file).toLowerCase()] ?? fromShebang(text);
}

/** The language a `#!` line names (`#!/usr/bin/env python3`, `#!/bin/bash`). */
function fromShebang(text: string): ScanLanguage | undefined {
  const first = /^#!([^\n]*)/.exec(text)?.[1];
  if (first === undefined) return undefined;
  if (/\bpython[0-9.]*\b/.test(first)) return 'python';
  if (/\b(?:ba|da|z|k)?sh\b/.test(first)) return 'shell';
  if (/\b(?:node|deno|bun)\b/.test(first)) return 'javascript';
  return undefined;
}
