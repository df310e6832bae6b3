import { isAbsolute, normalize } from 'node:path';
import type { SandboxProfile } from './profile.js';
import type { SandboxLanguage, SandboxRefusal, SandboxRequest } from './types.js';

/** A request checked field by field: what to write into the work dir and what to run. */
export interface CheckedRequest {
  /** Path inside the work dir → content; the code itself is one of them. */
  files: ReadonlyArray<readonly [string, string | Uint8Array]>;
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
}

/** A checked request, or a refusal that names the field at fault. */
export type RequestCheck = { ok: true; request: CheckedRequest } | { ok: false; refusal: SandboxRefusal };

/** The entry file and interpreter command line per language (absolute paths: nothing is looked up on PATH). */
const LANGUAGES: Record<SandboxLanguage, { file: string; argv: (file: string) => string[] }> = {
  // -I: isolated mode, so no PYTHON* variable or user site directory changes what runs.
  python: { file: 'main.py', argv: (file) => ['/usr/bin/python3', '-I', file] },
  node: { file: 'main.mjs', argv: (file) => ['/usr/bin/node', file] },
  bash: { file: 'main.sh', argv: (file) => ['/usr/bin/bash', '--noprofile', '--norc', file] },
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Set by the sandbox itself; a request may not point them elsewhere. */
const RESERVED_ENV = new Set(['PATH', 'HOME', 'TMPDIR', 'PWD', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT']);
const MAX_FILES = 1000;
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** Checks a request against the profile: exactly one of code or command, safe file names, plain env. */
export function checkRequest(request: SandboxRequest, profile: SandboxProfile): RequestCheck {
  const hasCode = request.code !== undefined;
  const hasCommand = request.command !== undefined;
  if (hasCode === hasCommand) return refuse('give exactly one of `code` (with `language`) or `command`', "e.g. { language: 'python', code: 'print(1)' } or { command: ['ls', '-l'] }");
  const files: Array<readonly [string, string | Uint8Array]> = [];
  let argv: string[];
  if (hasCode) {
    const language = LANGUAGES[request.language as SandboxLanguage];
    if (!language) return refuse(`language ${JSON.stringify(request.language)} is not one of python, node, bash`, 'set `language` to python, node or bash');
    if (typeof request.code !== 'string') return refuse('`code` is not a string', 'pass the source text as a string');
    files.push([language.file, request.code]);
    argv = language.argv(`./${language.file}`);
  } else {
    const command = request.command ?? [];
    if (!Array.isArray(command) || command.length === 0 || command.some((part) => typeof part !== 'string' || part.includes('\0'))) {
      return refuse('`command` must be a non-empty array of strings without NUL bytes', "pass argv, e.g. ['python3', 'script.py']; a shell line is ['bash', '-c', '...']");
    }
    argv = [...command];
  }
  const entries = Object.entries(request.files ?? {});
  if (entries.length > MAX_FILES) return refuse(`${entries.length} files is more than ${MAX_FILES}`, 'pack them into an archive and unpack it inside');
  for (const [path, content] of entries) {
    const clean = normalize(path);
    if (path.length === 0 || isAbsolute(path) || clean.startsWith('..') || clean !== path || path.includes('\0')) {
      return refuse(`files: ${JSON.stringify(path)} is not a plain relative path inside the work dir`, 'use a relative path like "data/input.csv", without "..", "./" or a leading "/"');
    }
    if (typeof content !== 'string' && !(content instanceof Uint8Array)) return refuse(`files: ${JSON.stringify(path)} is neither a string nor bytes`, 'pass the content as a string or a Uint8Array');
    const size = typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    if (size > MAX_FILE_BYTES) return refuse(`files: ${JSON.stringify(path)} is ${size} bytes, more than ${MAX_FILE_BYTES}`, 'give a smaller file');
    files.push([path, content]);
  }
  const names = new Set(files.map(([path]) => path));
  const clash = files.find(([path]) => path.split('/').slice(0, -1).some((_, i, parts) => names.has(parts.slice(0, i + 1).join('/'))));
  if (clash) return refuse(`files: ${JSON.stringify(clash[0])} lies under a path that is itself a file`, 'give each file a path no other file uses as a directory');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.env ?? {})) {
    if (!ENV_NAME.test(name)) return refuse(`env: ${JSON.stringify(name)} is not a variable name`, 'use letters, digits and underscores, not starting with a digit');
    if (RESERVED_ENV.has(name)) return refuse(`env: ${name} is set by the sandbox and cannot be overridden`, `drop ${name} from env`);
    if (typeof value !== 'string' || value.includes('\0')) return refuse(`env: ${name} is not a string without NUL bytes`, 'pass every value as a string');
    env[name] = value;
  }
  const timeoutMs = request.timeoutMs ?? profile.defaultTimeoutMs;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) return refuse(`timeoutMs is ${String(request.timeoutMs)}`, 'give a positive whole number of milliseconds');
  if (timeoutMs > profile.maxTimeoutMs) return refuse(`timeoutMs ${timeoutMs} is above profile '${profile.name}' maximum of ${profile.maxTimeoutMs}`, `ask for at most ${profile.maxTimeoutMs} ms or use a profile that allows longer runs`);
  return { ok: true, request: { files, argv, env, timeoutMs } };
}

function refuse(reason: string, fix: string): RequestCheck {
  return { ok: false, refusal: { outcome: 'refused', code: 'sandbox:bad_request', reason, fix } };
}
