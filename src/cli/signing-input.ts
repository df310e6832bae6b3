import { UsageError } from './errors.js';

/**
 * The requests `agt identity sign` reads: one JSON object (pretty-printed or not), or JSONL, one
 * request per line. Which one is decided by the first non-blank line: if it is a whole JSON
 * value on its own and more lines follow, the text is JSONL. Errors name the line (and column)
 * and never echo the text.
 */

/** One request read, with the line it started on. */
export interface InputRequest {
  readonly line: number;
  readonly request: Record<string, unknown>;
}

/** The requests in `text` (from `where`), and whether it was JSONL (so the output mirrors it). */
export function readRequests(text: string, where: string): { requests: InputRequest[]; jsonl: boolean } {
  const lines = text.split(/\r?\n/);
  const filled = lines.map((line, i) => ({ line: i + 1, text: line })).filter((entry) => entry.text.trim() !== '');
  if (filled.length === 0) throw new UsageError(`${where} is empty; give a request such as {"tool_name":"crm.read","args":{"id":7}}`);
  const first = filled[0] as { line: number; text: string };
  const jsonl = filled.length > 1 && parses(first.text);
  if (!jsonl) return { requests: [{ line: first.line, request: asRequest(parseAt(text, where, 0), where, first.line) }], jsonl: false };
  return { requests: filled.map((entry) => ({ line: entry.line, request: asRequest(parseAt(entry.text, where, entry.line - 1), where, entry.line) })), jsonl: true };
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** JSON.parse with the failure located in the file: V8 reports the character position, turned here into line and column. */
function parseAt(text: string, where: string, lineOffset: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message);
    // Without a position (V8 names none for some errors), the line the text starts on.
    const before = position ? text.slice(0, Number(position[1])).split('\n') : null;
    const location = before ? `${lineOffset + before.length}:${(before.at(-1) ?? '').length + 1}` : `${lineOffset + 1}`;
    throw new UsageError(`${where}:${location}: not JSON; give one request object, or one per line (JSONL)`);
  }
}

function asRequest(value: unknown, where: string, line: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${where}:${line}: a request is a JSON object such as {"tool_name":"crm.read","args":{}}${Array.isArray(value) ? ' (for several, put one per line: JSONL)' : ''}`);
  }
  const request = value as Record<string, unknown>;
  if (typeof request.tool_name !== 'string' || request.tool_name === '') {
    throw new UsageError(`${where}:${line}: the request has no tool_name; a signed envelope proves one tool call`);
  }
  return request;
}
