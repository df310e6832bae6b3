import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { Command } from 'commander';
import { verifySqliteStore } from '../audit/sqlite-verify.js';
import { EXIT } from './errors.js';
import { paint, useColor, type Color } from './output.js';
import { requireFileOrNothing } from './paths.js';
import { openExistingStore, storeOption } from './store.js';
import { describeError, PolicyLoadError } from '../core/errors.js';
import type { LintReport } from '../policy/index.js';
import { cgroupSupport, sandboxAvailability, seccompSupport } from '../execution/sandbox/index.js';

/** A check's outcome. `fail` on a required check makes `agt doctor` exit 1. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One line of the doctor's table. */
export interface CheckResult {
  check: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
}

interface DoctorOptions {
  store: string;
  policies: string;
  json?: boolean;
}

const MIN_NODE = [20, 19] as const;

/** The policy linter, loaded only when the doctor runs: the policy engine is most of the CLI's start-up time. */
type Lint = (paths: string[]) => LintReport;

/** `agt doctor`: is this machine and project ready to govern agents? */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check Node, native modules, the audit store, the policies and the sandbox; a table of pass/warn/fail')
    .addOption(storeOption())
    .option('--policies <dir>', 'policy directory to lint', 'policies')
    .option('--json', 'print the checks as JSON')
    .addHelpText('after', `
Exits 1 when a required check fails (Node too old, a native module that does not load, an
audit store that is not writable or does not verify, policies with errors); warnings (no store
yet, no policies/ directory, no bubblewrap for the sandbox) do not change the exit code.

Examples:
  agt doctor
  agt doctor --store /var/lib/agt/audit.db --policies config/policies --json`)
    .action(async (options: DoctorOptions) => {
      // A store path that is no file at all is a mistake in the command, not a finding about the store.
      requireFileOrNothing(options.store, 'an audit store', 'pass --store the path of an audit store file');
      const { lintPolicies } = await import('../policy/index.js');
      const results = runChecks(options, lintPolicies);
      if (options.json) process.stdout.write(JSON.stringify({ ok: !results.some((r) => r.status === 'fail'), checks: results }, null, 2) + '\n');
      else printTable(results);
      if (results.some((result) => result.status === 'fail')) process.exitCode = EXIT.failed;
    });
}

function runChecks(options: DoctorOptions, lint: Lint): CheckResult[] {
  return [checkNode(), checkNativeModules(), checkStore(options.store), checkPolicies(options.policies, lint), checkSandbox()];
}

function checkNode(): CheckResult {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  const ok = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
  return ok
    ? { check: 'node', status: 'pass', detail: `Node.js ${process.versions.node}` }
    : { check: 'node', status: 'fail', detail: `Node.js ${process.versions.node} is older than ${MIN_NODE.join('.')}`, fix: 'install Node.js 20.19 or later' };
}

function checkNativeModules(): CheckResult {
  // better-sqlite3 loads its native addon when the first database opens, so a broken build
  // fails here and not when the CLI starts.
  try {
    const db = new Database(':memory:');
    const version = db.prepare('SELECT sqlite_version()').pluck().get() as string;
    db.close();
    return { check: 'native modules', status: 'pass', detail: `better-sqlite3 loads (SQLite ${version})` };
  } catch (error) {
    return {
      check: 'native modules',
      status: 'fail',
      detail: `better-sqlite3 does not load: ${describeError(error).split('\n')[0]}`,
      fix: 'reinstall with build tools present (python3, make, g++): npm rebuild better-sqlite3',
    };
  }
}

function checkStore(path: string): CheckResult {
  if (!existsSync(path)) {
    const dir = nearestExisting(dirname(path));
    try {
      accessSync(dir, constants.W_OK);
      return { check: 'audit store', status: 'warn', detail: `${path} does not exist yet (it is created on first use; ${dir} is writable)`, fix: 'run `agt demo` or your agent to create it' };
    } catch {
      return { check: 'audit store', status: 'fail', detail: `${path} cannot be created: ${dir} is not writable`, fix: 'choose a writable --store path or fix the permissions' };
    }
  }
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
  } catch {
    return { check: 'audit store', status: 'fail', detail: `${path} (or its folder, for the WAL) is not writable`, fix: 'fix the permissions, or point --store elsewhere' };
  }
  let db;
  try {
    db = openExistingStore(path);
  } catch (error) {
    return { check: 'audit store', status: 'fail', detail: describeError(error), fix: 'point --store at an agt audit store' };
  }
  const result = verifySqliteStore(db);
  db.close();
  if (!result.ok) return { check: 'audit store', status: 'fail', detail: `${path} does not verify: ${result.reason}`, fix: `investigate with \`agt audit verify --store ${path}\`` };
  const key = join(dirname(path), 'audit-signing-key.pem');
  if (existsSync(key) && (statSync(key).mode & 0o077) !== 0) {
    return { check: 'audit store', status: 'warn', detail: `${result.entries} entries verify, but ${key} is readable by others`, fix: `chmod 600 ${key}` };
  }
  return { check: 'audit store', status: 'pass', detail: `${path}: writable; ${result.entries} entries and ${result.checkpoints} checkpoints verify` };
}

function checkPolicies(dir: string, lintPolicies: Lint): CheckResult {
  if (!existsSync(dir)) return { check: 'policies', status: 'warn', detail: `no ${dir}/ directory`, fix: 'scaffold one with `agt init`' };
  let report: LintReport;
  try {
    report = lintPolicies([dir]);
  } catch (error) {
    if (!(error instanceof PolicyLoadError)) throw error;
    return { check: 'policies', status: 'warn', detail: `${dir}/: ${error.issues[0]?.message ?? error.message}`, fix: 'scaffold policies with `agt init`' };
  }
  const files = report.files.length;
  if (report.errors > 0) return { check: 'policies', status: 'fail', detail: `${dir}/: ${report.errors} error(s), ${report.warnings} warning(s) in ${files} file(s)`, fix: `see \`agt lint-policy ${dir}\`` };
  if (report.warnings > 0) return { check: 'policies', status: 'warn', detail: `${dir}/: ${files} file(s), ${report.warnings} warning(s)`, fix: `see \`agt lint-policy ${dir}\`` };
  return { check: 'policies', status: 'pass', detail: `${dir}/: ${files} file(s) lint clean` };
}

/** The sandbox is optional (only tools that run code need it), so its absence is a warning, not a failure. */
function checkSandbox(): CheckResult {
  const availability = sandboxAvailability();
  if (!availability.available) return { check: 'sandbox', status: 'warn', detail: `${availability.reason}: sandboxed runs are refused`, fix: availability.fix };
  const cgroups = cgroupSupport();
  const limits = cgroups.applied ? `cgroup limits at ${cgroups.path}` : `no cgroup limits (${cgroups.reason})`;
  const seccomp = seccompSupport();
  const filter = seccomp.applied ? `seccomp filter refuses ${seccomp.denied.length} system calls` : seccomp.reason;
  return { check: 'sandbox', status: 'pass', detail: `${availability.version} at ${availability.bwrap} creates namespaces; rlimits by prlimit; ${filter}; ${limits}` };
}

function nearestExisting(dir: string): string {
  let current = dir;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

const STATUS_COLOR: Record<CheckStatus, Color> = { pass: 'green', warn: 'yellow', fail: 'red' };

function printTable(results: readonly CheckResult[]): void {
  const color = useColor(process.stdout);
  const width = Math.max(...results.map((r) => r.check.length));
  const lines = results.map((r) => {
    const status = paint(r.status.toUpperCase().padEnd(4), STATUS_COLOR[r.status], color);
    return `${status}  ${r.check.padEnd(width)}  ${r.detail}${r.fix ? `\n      ${' '.repeat(width)}  → ${r.fix}` : ''}`;
  });
  const failed = results.filter((r) => r.status === 'fail').length;
  const warned = results.filter((r) => r.status === 'warn').length;
  process.stdout.write(`${lines.join('\n')}\n\n${failed ? `${failed} failed` : 'all required checks pass'}${warned ? `, ${warned} warning(s)` : ''}\n`);
}
