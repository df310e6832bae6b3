import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';

// Every path a user gives `agt` (stores, outputs, keys, proofs, imports, policies, inputs) and
// every way it can be wrong: the command ends at once with the documented exit code and one line
// on stderr naming the path, never a hang (a FIFO opened for reading blocks until a writer comes),
// never exit 70 ("a bug") and never a stack trace.

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const { AGT_AUDIT_STORE: _store, ...inherited } = process.env;
let env: NodeJS.ProcessEnv = { ...inherited, NO_COLOR: '1' };
/** A case that has not ended by then is hung; far beyond the ~0.5 s a case takes on a busy box. */
const HANG_MS = 12_000;
const EXIT = { ok: 0, failed: 1, usage: 2 } as const;
const posix = process.platform !== 'win32';
// root reads and writes through any permission bits, so "unreadable" cannot be set up as root.
const canRestrict = posix && process.getuid?.() !== 0;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function agt(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [AGT, ...args], { cwd, env, encoding: 'utf8', timeout: HANG_MS, killSignal: 'SIGKILL' }, (_error, stdout, stderr) =>
      resolve({ code: child.exitCode, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** A bad path, made fresh in `dir` for each case. */
type BadPath = (dir: string) => string;

const mkfifo = (path: string): string => {
  execFileSync('mkfifo', [path]);
  return path;
};

const KINDS = {
  missing: (dir) => join(dir, 'missing'),
  'missing parent directory': (dir) => join(dir, 'no', 'such', 'dir', 'x'),
  'parent is a file': (dir) => {
    writeFileSync(join(dir, 'plain'), 'x');
    return join(dir, 'plain', 'x');
  },
  directory: (dir) => {
    mkdirSync(join(dir, 'folder'));
    return join(dir, 'folder');
  },
  FIFO: (dir) => mkfifo(join(dir, 'fifo')),
  'character device': () => '/dev/zero',
  'garbage file': (dir) => {
    writeFileSync(join(dir, 'garbage'), Buffer.from([0x00, 0xff, 0x13, 0x37, ...Buffer.from('not what you think\n')]));
    return join(dir, 'garbage');
  },
  'text file': (dir) => {
    writeFileSync(join(dir, 'notes.txt'), 'hello world\nthis is not it\n');
    return join(dir, 'notes.txt');
  },
  'empty file': (dir) => {
    writeFileSync(join(dir, 'empty'), '');
    return join(dir, 'empty');
  },
  'SQLite database of something else': (dir) => {
    const db = new Database(join(dir, 'other.db'));
    db.exec('CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)');
    db.close();
    return join(dir, 'other.db');
  },
  unreadable: (dir) => {
    writeFileSync(join(dir, 'secret'), 'x');
    chmodSync(join(dir, 'secret'), 0o000);
    return join(dir, 'secret');
  },
  'RSA public key': (dir) => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    writeFileSync(join(dir, 'rsa.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
    return join(dir, 'rsa.pem');
  },
  'Ed25519 private key': (dir) => {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'private.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    return join(dir, 'private.pem');
  },
  'policy folder holding a folder x.yaml': (dir) => {
    mkdirSync(join(dir, 'policies', 'x.yaml'), { recursive: true });
    writeFileSync(join(dir, 'policies', 'a.yaml'), 'apiVersion: governance.toolkit/v1\nname: a\nrules: []\n');
    return join(dir, 'policies');
  },
  'policy folder holding a FIFO x.yaml': (dir) => {
    mkdirSync(join(dir, 'policies'));
    mkfifo(join(dir, 'policies', 'x.yaml'));
    return join(dir, 'policies');
  },
  'test folder holding a FIFO x.test.yaml': (dir) => {
    mkdirSync(join(dir, 'policies'));
    mkfifo(join(dir, 'policies', 'x.test.yaml'));
    return join(dir, 'policies');
  },
} satisfies Record<string, BadPath>;

type Kind = keyof typeof KINDS;

/** A command with the bad path in one place, and the path its one-line error must name. */
interface Command {
  name: string;
  /** The command line; `dir` is the case's own folder (the bad path is in it, or is /dev/zero). */
  args: (bad: string, fixtures: Fixtures, dir: string) => string[];
  /** What the error must name (default: the bad path). */
  names?: (bad: string, dir: string) => string;
}

interface Fixtures {
  store: string;
  export: string;
  proof: string;
  publicKey: string;
  policy: string;
}

let fixtures: Fixtures;
let root: string;

const storeReaders: Command[] = [
  { name: 'audit verify --store', args: (bad) => ['audit', 'verify', '--store', bad] },
  { name: 'audit tail --store', args: (bad) => ['audit', 'tail', '--store', bad] },
  { name: 'audit stats --store', args: (bad) => ['audit', 'stats', '--store', bad] },
  { name: 'audit export --store', args: (bad) => ['audit', 'export', '--store', bad] },
  { name: 'audit prove --store', args: (bad) => ['audit', 'prove', '1', '--store', bad] },
  { name: 'audit key --store', args: (bad) => ['audit', 'key', '--store', bad] },
];
const storeWriters: Command[] = [
  { name: 'demo --store', args: (bad) => ['demo', '--store', bad] },
  { name: 'audit import --store', args: (bad, f) => ['audit', 'import', f.export, '--store', bad] },
];
const doctor: Command = { name: 'doctor --store', args: (bad) => ['doctor', '--store', bad] };

interface Case {
  command: Command;
  kind: Kind;
  code: number;
  /** What the output says (default for a usage error: {@link SAYS} of its kind). */
  says?: RegExp;
}

const cases: Case[] = [];
const each = (commands: Command[], kinds: Kind[], code: number) => {
  for (const command of commands) for (const kind of kinds) cases.push({ command, kind, code });
};

/** Besides naming the path, a usage error says what is wrong with it. */
const SAYS: Partial<Record<Kind, RegExp>> = {
  missing: /no such file|no audit store/,
  'missing parent directory': /no such file|no audit store|does not exist/,
  'parent is a file': /not a directory/,
  directory: /directory/,
  FIFO: /FIFO|not a directory/,
  'character device': /device|not a policy test file/,
  'SQLite database of something else': /not an agt audit store|not an audit export/,
  'RSA public key': /not Ed25519|not a PEM private key/,
  'Ed25519 private key': /private key/,
};

const notAFile: Kind[] = ['directory', 'FIFO', 'character device'];
// Stores: every command that takes --store.
each(storeReaders, ['missing', 'missing parent directory', 'parent is a file', ...notAFile, 'garbage file', 'empty file', 'SQLite database of something else', 'unreadable'], EXIT.usage);
each(storeWriters, ['parent is a file', ...notAFile, 'garbage file', 'SQLite database of something else', 'unreadable'], EXIT.usage);
each([doctor], ['parent is a file', ...notAFile], EXIT.usage);
/** A store writer whose store is new, but where it keeps `file` beside it something else already is. */
const besideStore = (file: string, command: 'demo' | 'import'): Command => ({
  name: `${command}, ${file} beside the store`,
  args: (bad, f, dir) => {
    renameSync(bad, join(dir, file));
    const store = join(dir, 'audit.db');
    return command === 'demo' ? ['demo', '--store', store] : ['audit', 'import', f.export, '--store', store];
  },
  names: (_bad, dir) => join(dir, file),
});
each([besideStore('audit-signing-key.pem', 'demo'), besideStore('audit-signing-key.pem', 'import')], ['directory', 'FIFO', 'garbage file'], EXIT.usage);
// The demo rewrites its policy file on every run, but never into a directory or a FIFO (the write would block).
each([besideStore('demo-policy.yaml', 'demo')], ['directory', 'FIFO'], EXIT.usage);
each([{ name: 'audit import --key', args: (bad, f, dir) => ['audit', 'import', f.export, '--store', join(dir, 'new.db'), '--key', bad] }], [...notAFile, 'garbage file', 'RSA public key'], EXIT.usage);
// Output files.
each([{ name: 'audit export -o', args: (bad, f) => ['audit', 'export', '--store', f.store, '-o', bad] }], ['missing parent directory', 'parent is a file', ...notAFile, 'text file'], EXIT.usage);
// Files read: an export to import, keys, proofs, request files.
each([{ name: 'audit import <file>', args: (bad, _f, dir) => ['audit', 'import', bad, '--store', join(dir, 'new.db')] }], ['missing', 'missing parent directory', 'parent is a file', ...notAFile, 'garbage file', 'text file', 'SQLite database of something else', 'unreadable'], EXIT.usage);
each(
  [
    { name: 'audit verify --public-key', args: (bad, f) => ['audit', 'verify', '--store', f.store, '--public-key', bad] },
    { name: 'audit check-proof --public-key', args: (bad, f) => ['audit', 'check-proof', f.proof, '--public-key', bad] },
  ],
  ['missing', ...notAFile, 'garbage file', 'text file', 'empty file', 'RSA public key', 'Ed25519 private key', 'unreadable'],
  EXIT.usage,
);
each([{ name: 'audit check-proof <file>', args: (bad, f) => ['audit', 'check-proof', bad, '--public-key', f.publicKey] }], ['missing', ...notAFile, 'garbage file', 'text file', 'unreadable'], EXIT.usage);
each([{ name: 'audit verify --witness', args: (bad, f) => ['audit', 'verify', '--store', f.store, '--witness', bad] }], notAFile, EXIT.usage);
each([{ name: 'policy eval --inputs', args: (bad, f) => ['policy', 'eval', '--policy', f.policy, '--inputs', bad] }], ['missing', ...notAFile, 'unreadable'], EXIT.usage);
// Policies.
each(
  [{ name: 'policy eval --policy', args: (bad) => ['policy', 'eval', '--policy', bad, '--input', '{}'], names: (bad) => basename(bad) }],
  ['missing', ...notAFile.filter((k) => k !== 'directory'), 'garbage file', 'policy folder holding a folder x.yaml', 'policy folder holding a FIFO x.yaml', 'unreadable'],
  EXIT.usage,
);
each([{ name: 'policy test', args: (bad) => ['policy', 'test', bad] }], ['missing', 'character device', 'test folder holding a FIFO x.test.yaml'], EXIT.usage);
each([{ name: 'init <dir>', args: (bad) => ['init', bad] }], ['parent is a file', 'FIFO', 'text file'], EXIT.usage);

/** Commands whose documented answer to a bad file is a report on stdout with exit 1, not a usage error. */
const reports: Case[] = [
  { command: doctor, kind: 'garbage file', code: EXIT.failed, says: /FAIL\s+audit store\s+.*garbage.* is not an SQLite database/ },
  { command: doctor, kind: 'SQLite database of something else', code: EXIT.failed, says: /FAIL\s+audit store\s+.*other\.db is not an agt audit store/ },
  { command: { name: 'lint-policy', args: (bad) => ['lint-policy', bad] }, kind: 'FIFO', code: EXIT.failed, says: /fifo.*not-a-regular-file/ },
  { command: { name: 'lint-policy', args: (bad) => ['lint-policy', bad] }, kind: 'character device', code: EXIT.failed, says: /\/dev\/zero.*not-a-regular-file/ },
  { command: { name: 'doctor --policies', args: (bad) => ['doctor', '--policies', bad] }, kind: 'policy folder holding a FIFO x.yaml', code: EXIT.failed, says: /FAIL\s+policies/ },
];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'agt-bad-paths-'));
  // ~150 processes start: V8's compile cache spares each of them compiling the CLI again.
  env = { ...env, NODE_COMPILE_CACHE: join(root, 'compile-cache') };
  const store = join(root, 'good', 'audit.db');
  const made = spawnSync(process.execPath, [AGT, 'demo', '--store', store], { env, encoding: 'utf8' });
  expect(made.status).toBe(0);
  const exported = join(root, 'good.jsonl');
  const proof = join(root, 'proof.json');
  const publicKey = join(root, 'public.pem');
  writeFileSync(exported, spawnSync(process.execPath, [AGT, 'audit', 'export', '--store', store], { env, encoding: 'utf8' }).stdout);
  writeFileSync(proof, spawnSync(process.execPath, [AGT, 'audit', 'prove', '1', '--store', store], { env, encoding: 'utf8' }).stdout);
  writeFileSync(publicKey, spawnSync(process.execPath, [AGT, 'audit', 'key', '--store', store], { env, encoding: 'utf8' }).stdout);
  const policy = join(root, 'policy.yaml');
  writeFileSync(policy, 'apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\nrules: []\n');
  fixtures = { store, export: exported, proof, publicKey, policy };
}, 60_000);

let counter = 0;
async function run(test: Case): Promise<{ named: string; result: Run }> {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  const bad = KINDS[test.kind](dir);
  const args = test.command.args(bad, fixtures, dir);
  return { named: test.command.names?.(bad, dir) ?? bad, result: await agt(args, dir) };
}

const runnable = (kind: Kind) => (kind === 'unreadable' ? canRestrict : posix || !['FIFO', 'character device'].includes(kind));

describe.runIf(posix)('agt on a bad path: the documented exit code and one line, never a hang, a stack or exit 70', () => {
  it.concurrent.each(cases.filter((c) => runnable(c.kind)).map((c) => [`${c.command.name} ← ${c.kind}`, c] as const))('%s', async (_title, test) => {
    const { named, result } = await run(test);
    expect(result.code, `hung or crashed; stderr: ${result.stderr}`).not.toBeNull();
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: test.code });
    const lines = result.stderr.split('\n').filter((line) => line !== '');
    expect(lines, 'one line on stderr').toHaveLength(1);
    const [line = ''] = lines;
    expect(line).toMatch(/^error: /);
    expect(line).not.toMatch(/\n\s+at |Error:|internal error/);
    expect(line).toContain(named);
    expect(line).toMatch(test.says ?? SAYS[test.kind] ?? /./);
  });

  it.concurrent.each(reports.filter((c) => runnable(c.kind)).map((c) => [`${c.command.name} ← ${c.kind}`, c] as const))('%s (a report)', async (_title, test) => {
    const { result } = await run(test);
    expect(result.code, `hung or crashed; stderr: ${result.stderr}`).not.toBeNull();
    expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: test.code, stderr: '' });
    expect(result.stdout).toMatch(test.says ?? /./);
  });
});

describe.runIf(posix)('agt on paths that only look unusual', () => {
  it('a store that is an empty file or sits under folders not made yet is created, as before', async () => {
    const dir = join(root, 'fine');
    mkdirSync(dir);
    writeFileSync(join(dir, 'empty.db'), '');
    const [demo, imported] = await Promise.all([
      agt(['demo', '--store', join(dir, 'empty.db')], dir),
      agt(['audit', 'import', fixtures.export, '--store', join(dir, 'new', 'er', 'audit.db')], dir),
    ]);
    expect(demo).toMatchObject({ code: EXIT.ok, stderr: '' });
    expect(imported).toMatchObject({ code: EXIT.ok, stderr: '', stdout: expect.stringMatching(/the chain verifies/) });
  });
});
