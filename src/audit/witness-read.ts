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
    const info = await stat(path);
    // A FIFO would block the read forever and a device never ends: a witness is a regular file.
    if (!info.isFile()) return { location: path, error: 'is not a regular file (a witness file is the JSON lines a FileWitness appends)' };
    const { size } = info;
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
  // agt-scan-ignore ssrf: the witness location is the operator's (the audit store's witness list or `agt audit verify --witness`), never an agent's input
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
  const text = await readBounded(response);
  if (text === null) return { location, error: `sent more than the ${MAX_WITNESS_BYTES} bytes a witness may hold` };
  return { location, lines: parseWitnessText(text) };
}

/** The body as UTF-8, or null once it passes {@link MAX_WITNESS_BYTES} (a server need not declare its length). */
async function readBounded(response: Response): Promise<string | null> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > MAX_WITNESS_BYTES) {
      await response.body.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
