import { statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { PolicyLoadError } from '../../core/errors.js';
import type { Verdict } from '../../core/types.js';
import { describeZodIssue, MAX_POLICY_BYTES, parseLocatedYaml, type Path } from '../document/source.js';
import { POLICY_TEST_FILE } from '../document/files.js';
import { readTextFile } from '../document/read-file.js';

/**
 * The policy test file format (`*.test.yaml`): which policy to load, and the cases to run
 * against it, each a request and the decision it should get. This file reads and validates the
 * format, locating every problem by line and column; policy-test.ts runs the cases.
 *
 * ```yaml
 * policy: sql-agent.yaml            # optional; see resolvePolicyPath
 * cases:
 *   - name: drop is denied
 *     input: { tool_name: sql, args: { query: "DROP TABLE users" } }
 *     expect: { verdict: deny, rule: block-destructive-verbs }
 * ```
 */

/** Most evaluations one case may ask for with `repeat` (enough to exhaust any sane rate limit). */
export const MAX_REPEAT = 10_000;

const VERDICTS = ['allow', 'deny', 'warn', 'log', 'require_approval', 'transform'] as const satisfies readonly Verdict[];
const nonEmpty = z.string().min(1, 'must not be empty');

const expectationSchema = z.strictObject({
  verdict: z.enum(VERDICTS),
  rule: nonEmpty.nullable().optional().describe('The deciding rule; null when a default or a request error decided'),
  policy: nonEmpty.optional(),
  reason_contains: nonEmpty.optional(),
  rate_limited: z.boolean().optional(),
  approvers: z.array(nonEmpty).optional().describe('Each must be among the decision approvers'),
  redact: z.array(nonEmpty).optional().describe('Each must be among the paths the transform redacts'),
  condition_errors: z.boolean().optional().describe('Whether a condition failed at run time; default false'),
});

const caseSchema = z.strictObject({
  name: nonEmpty,
  input: z.record(z.string(), z.unknown()).describe('The request, as given to evaluate()'),
  repeat: z.number().int().min(1).max(MAX_REPEAT).optional().describe('Evaluate this many times; the last decision is checked'),
  expect: expectationSchema,
});

const testFileSchema = z
  .strictObject({
    policy: nonEmpty.optional().describe('Policy file or directory, relative to this file'),
    cases: z.array(caseSchema).min(1, 'a policy test file needs at least one case'),
  })
  .superRefine((file, ctx) => {
    const seen = new Map<string, number>();
    file.cases.forEach((testCase, index) => {
      const first = seen.get(testCase.name);
      if (first === undefined) seen.set(testCase.name, index);
      // Results are reported by name: two cases with one name could not be told apart.
      else ctx.addIssue({ code: 'custom', path: ['cases', index, 'name'], message: `duplicate case name '${testCase.name}' (first used by cases[${first}])` });
    });
  });

const KNOWN_KEYS = {
  file: Object.keys(testFileSchema.shape),
  case: Object.keys(caseSchema.shape),
  expect: Object.keys(expectationSchema.shape),
};

function knownKeysAt(path: Path): readonly string[] {
  if (path.length === 0) return KNOWN_KEYS.file;
  if (path[0] === 'cases' && path.length === 2) return KNOWN_KEYS.case;
  if (path[0] === 'cases' && path[2] === 'expect') return KNOWN_KEYS.expect;
  return [];
}

/** What a case expects of the (last) decision. Absent keys are not checked. */
export type PolicyTestExpectation = z.infer<typeof expectationSchema>;

/** One case: a request, how many times to evaluate it, and what the last decision must say. */
export interface PolicyTestCase {
  name: string;
  input: Record<string, unknown>;
  repeat: number;
  expect: PolicyTestExpectation;
  /** Where the case starts in the test file. */
  line?: number;
  column?: number;
}

/** A validated test file, its policy path resolved. */
export interface PolicyTestFile {
  /** The file as reported (relative to the working directory). */
  origin: string;
  /** Absolute path of the test file. */
  file: string;
  /** Absolute path of the policy file or directory the cases run against. */
  policy: string;
  cases: PolicyTestCase[];
}

/** Reads and validates a policy test file. Throws {@link PolicyLoadError} with located issues. */
export function readPolicyTestFile(path: string): PolicyTestFile {
  const file = resolve(path);
  const origin = relative(process.cwd(), file) || file;
  // the policy loader's reader: regular file, bounded, strict UTF-8 (a FIFO cannot block it)
  const text = readTextFile(file, origin, MAX_POLICY_BYTES, 'policy test file');
  const { data, locate } = parseLocatedYaml(text, origin, 'policy test');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new PolicyLoadError([{ severity: 'error', file: origin, message: 'a policy test file must be a mapping with `cases` (and optionally `policy`)' }]);
  }
  const result = testFileSchema.safeParse(data);
  if (!result.success) {
    throw new PolicyLoadError(result.error.issues.flatMap((issue) => describeZodIssue(issue, data, origin, locate, knownKeysAt)));
  }
  const spec = result.data;
  let policy: string;
  if (spec.policy === undefined) {
    policy = defaultPolicyPath(file);
  } else {
    policy = resolve(dirname(file), spec.policy);
    if (!exists(policy)) {
      throw new PolicyLoadError([{ severity: 'error', file: origin, ...locate(['policy']), key: 'policy', message: `policy '${spec.policy}': no such file or directory`, hint: 'the path is relative to the test file' }]);
    }
  }
  const cases = spec.cases.map((testCase, i): PolicyTestCase => {
    const at = locate(['cases', i]);
    return { name: testCase.name, input: testCase.input, repeat: testCase.repeat ?? 1, expect: testCase.expect, ...(at ? { line: at.line, column: at.column } : {}) };
  });
  return { origin, file, policy, cases };
}

/**
 * Without `policy:`, a test file tests its namesake (`sql-agent.test.yaml` → `sql-agent.yaml`,
 * `.yml` or `.json` beside it); with no namesake, every policy in its directory.
 */
function defaultPolicyPath(testFile: string): string {
  const directory = dirname(testFile);
  const stem = basename(testFile).replace(POLICY_TEST_FILE, '');
  const namesake = ['.yaml', '.yml', '.json'].map((ext) => join(directory, stem + ext)).find(exists);
  return namesake ?? directory;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
