import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError } from '../core/errors.js';
import { parseHttpUrl } from './http-witness.js';
import { parseWitnessText, type WitnessSource } from './witness.js';

/** A witness larger than this is refused rather than read into memory (about a million statements). */
export const MAX_WITNESS_BYTES = 512 * 1024 * 1024;

/** True when `location` names an HTTP witness rather than a file. */
export function isWitnessUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/**
 * Reads every statement a witness holds: a file of JSON lines (a {@link FileWitness}'s), or the
 * answer to a GET of an {@link HttpWitness}'s URL. Never throws: a witness that cannot be read
 * is returned with the reason, and verification fails on it (an unreadable witness proves nothing).
 */
export async function readWitness(location: string, options: { timeoutMs?: number } = {}): Promise<WitnessSource> {
  try {
    if (isWitnessUrl(location)) return await readHttp(location, options.timeoutMs ?? 10_000);
    const path = resolve(location);
    const { size } = await stat(path);
    if (size > MAX_WITNESS_BYTES) return { location: path, error: `is ${size} bytes, more than the ${MAX_WITNESS_BYTES} a witness may hold` };
    return { location: path, lines: parseWitnessText(await readFile(path, 'utf8')) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { location, error: code === 'ENOENT' ? 'does not exist (no checkpoint was published to it, or it was removed)' : describeError(error) };
  }
}

async function readHttp(location: string, timeoutMs: number): Promise<WitnessSource> {
  const url = parseHttpUrl(location);
  if (typeof url === 'string') return { location, error: url };
  const response = await fetch(url, { headers: { accept: 'application/x-ndjson, application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) {
    await response.body?.cancel();
    return { location, error: `answered ${response.status} ${response.statusText}`.trimEnd() };
  }
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > MAX_WITNESS_BYTES) {
    await response.body?.cancel();
    return { location, error: `sent ${declared} bytes, more than the ${MAX_WITNESS_BYTES} a witness may hold` };
  }
  return { location, lines: parseWitnessText(await response.text()) };
}
