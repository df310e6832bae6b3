import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { PolicyLoadError, type PolicyIssue } from '../../core/errors.js';
import type { Decision } from '../../core/types.js';
import { systemClock, type Clock } from '../../core/clock.js';
import { RateLimiter } from '../../reliability/rate-limits.js';
import { MemorySlidingWindowStore } from '../../state/sliding-window.js';
import type { EvaluatorOptions, PolicyEvaluator } from '../evaluator.js';
import { evaluateWithLimits } from '../evaluate/limited.js';
import { loadPoliciesSync } from '../loader.js';
import { POLICY_TEST_FILE } from '../document/files.js';
import { readPolicyTestFile, type PolicyTestCase, type PolicyTestExpectation } from './policy-test-file.js';

/**
 * Policy tests: run the cases of `*.test.yaml` files against the policies they name and say,
 * case by case, whether each decision is the one expected. The cases of one file run in order
 * against one evaluator and one rate limiter (applied after each decision, as the kernel's limits
 * step does), so a rate limit can be exhausted by repeating a case. A file that
 * cannot be loaded (the test file itself or its policy) is reported with its located errors and
 * counts as one failure; the other files still run.
 */

/** The outcome of one case. */
export interface PolicyTestCaseResult {
  name: string;
  passed: boolean;
  /** One sentence per unmet expectation; empty when the case passed. */
  failures: string[];
  /** Where the case starts in its test file. */
  line?: number;
  column?: number;
  /** How many times the request was evaluated (the case's `repeat`). */
  calls: number;
  expected: PolicyTestExpectation;
  /** The decision of the last evaluation, the one the expectations were checked against. */
  decision: Decision;
}

/** The outcome of one test file. */
export interface PolicyTestFileResult {
  /** The test file, relative to the working directory. */
  file: string;
  /** The policy file or directory it ran against, or null when the test file did not load. */
  policy: string | null;
  /** Why the file's cases could not run (empty when they ran): located errors in the test file or its policy. */
  errors: PolicyIssue[];
  /** Non-fatal problems the policy loaded with. */
  warnings: PolicyIssue[];
  cases: PolicyTestCaseResult[];
  passed: number;
  /** Failed cases, or 1 for a file that could not be loaded. */
  failed: number;
}

/** The outcome of a run over several files. */
export interface PolicyTestReport {
  files: PolicyTestFileResult[];
  passed: number;
  failed: number;
  /** Files that could not be loaded (each also counted once in `failed`). */
  unloadable: number;
}

const SKIPPED_DIRECTORIES = new Set(['node_modules']);

/**
 * The policy test files at `paths`, in a stable order: a file is taken as given (it must be named
 * `*.test.yaml`, `.yml` or `.json`); a directory is searched recursively, skipping `node_modules`
 * and hidden directories. A file reached twice is listed once. Throws {@link PolicyLoadError} for
 * a path that does not exist or a file that is not a test file.
 */
export function findPolicyTestFiles(paths: readonly string[]): string[] {
  const found = new Map<string, string>();
  const add = (file: string) => {
    const real = realpathSync(file);
    if (!found.has(real)) found.set(real, file);
  };
  for (const path of paths) {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      throw new PolicyLoadError([{ severity: 'error', file: path, message: 'no such file or directory' }]);
    }
    if (stats.isDirectory()) {
      walk(path, add);
    } else if (POLICY_TEST_FILE.test(basename(path))) {
      add(path);
    } else {
      throw new PolicyLoadError([{ severity: 'error', file: path, message: 'not a policy test file', hint: 'policy test files are named *.test.yaml; pass the test file or its directory' }]);
    }
  }
  return [...found.values()];
}

function walk(directory: string, add: (file: string) => void): void {
  const entries = readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    // Symbolic links to directories are not followed: a link cycle would never end.
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED_DIRECTORIES.has(entry.name)) walk(path, add);
    } else if (POLICY_TEST_FILE.test(entry.name) && (entry.isFile() || (entry.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile()))) {
      add(path);
    }
  }
}

/** How policy tests run: the evaluator's options, and the clock their rate limits read. */
export interface PolicyTestOptions extends EvaluatorOptions {
  /** The clock of each file's rate limiter; the system clock by default. */
  clock?: Clock;
}

/**
 * Runs every test file at `paths` (see {@link findPolicyTestFiles}), each against a fresh
 * evaluator built with `options` and a fresh rate limiter.
 */
export function runPolicyTests(paths: readonly string[], options: PolicyTestOptions = {}): PolicyTestReport {
  const files = findPolicyTestFiles(paths).map((file) => runPolicyTestFile(file, options));
  return {
    files,
    passed: files.reduce((sum, f) => sum + f.passed, 0),
    failed: files.reduce((sum, f) => sum + f.failed, 0),
    unloadable: files.filter((f) => f.errors.length > 0).length,
  };
}

/** Runs one test file's cases, in order, against one evaluator. Never throws for a bad file: it reports it. */
export function runPolicyTestFile(path: string, options: PolicyTestOptions = {}): PolicyTestFileResult {
  const label = relative(process.cwd(), path) || path;
  let cases: PolicyTestCase[];
  let policy: string;
  try {
    const testFile = readPolicyTestFile(path);
    cases = testFile.cases;
    policy = relative(process.cwd(), testFile.policy) || '.';
  } catch (error) {
    if (error instanceof PolicyLoadError) return unloadable(label, null, error.issues);
    throw error;
  }
  let evaluator: PolicyEvaluator;
  try {
    evaluator = loadPoliciesSync(policy, options);
  } catch (error) {
    if (error instanceof PolicyLoadError) return unloadable(label, policy, error.issues);
    throw error;
  }
  const limiter = new RateLimiter(new MemorySlidingWindowStore(), options.clock ?? systemClock);
  const results = cases.map((testCase) => runCase(evaluator, limiter, testCase));
  const passed = results.filter((r) => r.passed).length;
  return { file: label, policy, errors: [], warnings: [...evaluator.warnings], cases: results, passed, failed: results.length - passed };
}

function unloadable(file: string, policy: string | null, issues: readonly PolicyIssue[]): PolicyTestFileResult {
  const errors = issues.filter((i) => i.severity === 'error');
  return {
    file,
    policy,
    errors: errors.length > 0 ? errors : [{ severity: 'error', file, message: 'could not be loaded' }],
    warnings: issues.filter((i) => i.severity === 'warning'),
    cases: [],
    passed: 0,
    failed: 1,
  };
}

function runCase(evaluator: PolicyEvaluator, limiter: RateLimiter, testCase: PolicyTestCase): PolicyTestCaseResult {
  let decision = evaluateWithLimits(evaluator, limiter, testCase.input);
  for (let call = 1; call < testCase.repeat; call++) decision = evaluateWithLimits(evaluator, limiter, testCase.input);
  const failures = unmetExpectations(testCase.expect, decision);
  return {
    name: testCase.name,
    passed: failures.length === 0,
    failures,
    ...(testCase.line !== undefined ? { line: testCase.line, column: testCase.column } : {}),
    calls: testCase.repeat,
    expected: testCase.expect,
    decision,
  };
}

/** Every way `decision` falls short of `expected`, one sentence each. */
export function unmetExpectations(expected: PolicyTestExpectation, decision: Decision): string[] {
  const failures: string[] = [];
  const ruleOf = (rule: string | null) => `rule ${rule ?? '-'}`;
  if (decision.verdict !== expected.verdict || (expected.rule !== undefined && decision.rule !== expected.rule)) {
    const wanted = expected.rule === undefined ? expected.verdict : `${expected.verdict} (${ruleOf(expected.rule)})`;
    failures.push(`expected ${wanted}, got ${decision.verdict} (${ruleOf(decision.rule)})`);
  }
  if (expected.policy !== undefined && decision.policy !== expected.policy) {
    failures.push(`expected policy ${expected.policy}, got ${decision.policy ?? '-'}`);
  }
  if (expected.reason_contains !== undefined && !decision.reason.includes(expected.reason_contains)) {
    failures.push(`expected a reason containing ${JSON.stringify(expected.reason_contains)}, got ${JSON.stringify(decision.reason)}`);
  }
  if (expected.rate_limited !== undefined && decision.rateLimited !== expected.rate_limited) {
    failures.push(`expected rate_limited ${expected.rate_limited}, got ${decision.rateLimited}`);
  }
  const missingApprovers = (expected.approvers ?? []).filter((a) => !decision.approvers.includes(a));
  if (missingApprovers.length > 0) {
    failures.push(`expected approvers to include ${missingApprovers.join(', ')}, got [${decision.approvers.join(', ')}]`);
  }
  const redacted = decision.transform?.redact ?? [];
  const missingRedactions = (expected.redact ?? []).filter((path) => !redacted.includes(path));
  if (missingRedactions.length > 0) {
    failures.push(`expected the transform to redact ${missingRedactions.join(', ')}, ${decision.transform ? `it redacts [${redacted.join(', ')}]` : 'got no transform'}`);
  }
  // A decision that only came out right because a condition failed (and failed closed) hides a
  // policy bug, so errors fail a case unless it says it expects them.
  const conditionErrors = decision.diagnostics.errors.filter((e) => e.kind === 'condition_error');
  if (conditionErrors.length > 0 && expected.condition_errors !== true) {
    failures.push(`a condition failed at run time: ${conditionErrors.map((e) => `${e.rule}: ${e.message}`).join('; ')} (guard optional fields with has(), or set condition_errors: true)`);
  } else if (conditionErrors.length === 0 && expected.condition_errors === true) {
    failures.push('expected a condition to fail at run time, but none did');
  }
  return failures;
}
