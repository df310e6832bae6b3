import { readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { PolicyLoadError, type PolicyIssue } from '../../core/errors.js';
import { compileWithEngines } from '../engines/load-engines.js';
import { checkDocument } from './lint-checks.js';
import { checkRegoRanges } from './rego-ranges.js';
import { isPolicyFileName } from '../document/files.js';
import { resolvePolicyFile } from '../loader.js';
import type { PolicySource } from '../document/source.js';

/**
 * Lint: every problem in a set of policy files, not just the first. It reports what loading
 * would refuse (schema, conditions, `extends`), file by file, and then what loading accepts but
 * is probably a mistake (see lint-checks.ts). Nothing is evaluated.
 */

/** One problem, located. Every field is always set, so tools need no fallbacks. */
export interface LintFinding extends PolicyIssue {
  file: string;
  line: number;
  column: number;
  /** Where in the document, e.g. `rules[2].condition`; empty for the document as a whole. */
  key: string;
  /** Stable name of the kind of problem, e.g. `duplicate-rule-name`. */
  code: string;
  /** What to do about it. */
  hint: string;
}

/** The result of a lint run. */
export interface LintReport {
  /** The files linted, as displayed (relative to the working directory). */
  files: string[];
  /** Sorted by file (in lint order), line and column. */
  findings: LintFinding[];
  errors: number;
  warnings: number;
}

/** Directories a recursive walk never enters: dependencies and hidden folders (.git) hold no policies of yours. */
const SKIPPED_DIRECTORIES = /^(node_modules|\..*)$/;

/**
 * Lints policy files and directories. A directory is searched recursively for `*.yaml`, `*.yml`
 * and `*.json`, skipping `*.test.*` files (policy tests); a file named directly is linted
 * whatever its name. `extends` must stay inside the directory named (for a file, its own
 * directory). Throws {@link PolicyLoadError} (code `no-such-file` or `no-policy-files`) when a
 * path does not exist or nothing is left to lint: that is a usage problem, not a finding.
 *
 * @example
 * const report = lintPolicies(['policies/']);
 * for (const f of report.findings) console.log(`${f.file}:${f.line}:${f.column} ${f.code} ${f.message}`);
 */
export function lintPolicies(paths: readonly string[]): LintReport {
  const targets = collectFiles(paths);
  const files = targets.map((target) => displayName(target.file));
  const issues: PolicyIssue[] = [];
  const own: { source: PolicySource; label: string }[] = [];
  targets.forEach((target, i) => {
    const label = files[i] as string;
    const resolved = resolvePolicyFile(target.file, target.root);
    issues.push(...resolved.issues.map((issue) => ({ ...issue, file: issue.file ?? label })));
    if (resolved.own) own.push({ source: resolved.own, label });
    if (!resolved.merged) return;
    try {
      compileWithEngines([resolved.merged]);
    } catch (error) {
      if (!(error instanceof PolicyLoadError)) throw error;
      issues.push(...error.issues.map((issue) => ({ ...issue, file: issue.file ?? label })));
    }
    issues.push(...checkDocument(resolved.merged), ...checkRegoRanges(resolved.merged));
  });
  issues.push(...crossDocumentChecks(own, issues));

  const findings = sortFindings(dedupe(issues.map(toFinding)), files);
  const errors = findings.filter((f) => f.severity === 'error').length;
  return { files, findings, errors, warnings: findings.length - errors };
}

/** The files to lint, each with the directory its `extends` must stay inside; each file once. */
function collectFiles(paths: readonly string[]): { file: string; root: string }[] {
  const missing: PolicyIssue[] = [];
  const found = new Map<string, { file: string; root: string }>();
  for (const path of paths) {
    const target = resolve(path);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(target).isDirectory();
    } catch {
      missing.push({ severity: 'error', code: 'no-such-file', file: path, message: 'no such file or directory' });
      continue;
    }
    // as the loader does: a named file's root is where it really is
    const root = isDirectory ? target : dirname(realpathSync(target));
    for (const file of isDirectory ? walkDirectory(target) : [target]) {
      const real = realpathSync(file);
      if (!found.has(real)) found.set(real, { file, root });
    }
  }
  if (missing.length) throw new PolicyLoadError(missing);
  if (found.size === 0) {
    throw new PolicyLoadError([{ severity: 'error', code: 'no-policy-files', file: paths.join(' '), message: 'no policy files (*.yaml, *.yml, *.json) to lint' }]);
  }
  return [...found.values()];
}

/** Policy files under `directory`, in name order, depth first. Symbolic links to directories are not followed (no loops). */
function walkDirectory(directory: string): string[] {
  const files: string[] = [];
  const entries = readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRECTORIES.test(entry.name)) files.push(...walkDirectory(path));
    } else if (isPolicyFileName(entry.name) && exists(path)) {
      // FIFOs, devices and links out of the directory are listed so loading reports them, not skipped
      files.push(path);
    }
  }
  return files;
}

/** False for a dangling symbolic link (skipped, as before). stat does not open, so a FIFO cannot block it. */
function exists(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** How the loader names a file in its issues: relative to the working directory. */
function displayName(file: string): string {
  return relative(process.cwd(), realpathSync(file)) || file;
}

/**
 * Names shared between files: a rule name defined in two files makes decisions and audit entries
 * ambiguous to read, and two documents with one name share rate-limit windows (they are keyed by
 * policy and rule name). Warnings: each document is valid on its own. A rule that redefines its
 * parent's is already an error (`extends`), and is not reported again.
 */
function crossDocumentChecks(documents: readonly { source: PolicySource; label: string }[], issues: readonly PolicyIssue[]): PolicyIssue[] {
  const found: PolicyIssue[] = [];
  const ruleOwners = new Map<string, string>();
  const policyOwners = new Map<string, string>();
  for (const { source, label } of documents) {
    const name = source.spec.name;
    const firstPolicy = policyOwners.get(name);
    if (firstPolicy === undefined) policyOwners.set(name, label);
    else {
      found.push({
        severity: 'warning',
        code: 'duplicate-policy-name',
        file: label,
        ...source.locate(['name']),
        key: 'name',
        message: `policy name '${name}' is also used by ${firstPolicy}`,
        hint: 'give each policy document its own name: decisions, audit entries and rate-limit windows are keyed by it',
      });
    }
    source.spec.rules?.forEach((rule, i) => {
      const first = ruleOwners.get(rule.name);
      if (first === undefined) {
        ruleOwners.set(rule.name, label);
        return;
      }
      if (first === label) return; // a duplicate within one document is a schema error
      const at = source.locate(['rules', i, 'name']);
      const already = issues.some((issue) => issue.code === 'duplicate-rule-name' && issue.file === label && issue.line === at?.line);
      if (already) return;
      found.push({
        severity: 'warning',
        code: 'duplicate-rule-name',
        file: label,
        ...at,
        key: `rules.${i}.name`,
        message: `rule name '${rule.name}' is also used in ${first}`,
        hint: 'give it a name of its own, so a decision naming the rule points at one place',
      });
    });
  }
  return found;
}

/** What to do, for issues that do not say. */
const DEFAULT_HINTS: Readonly<Record<string, string>> = {
  'yaml-syntax': 'fix the YAML at this position',
  'yaml-aliases': 'expand the aliases',
  'policy-too-large': 'split the policy into several files',
  'multiple-documents': 'put each document in a file of its own',
  'not-a-mapping': 'start from apiVersion, name and rules',
  'missing-key': 'add the key',
  'invalid-value': 'see schema/policy.schema.json for what this key takes',
  'invalid-limit': 'write N/second, N/minute, N/hour or N/day, with N at least 1',
  'invalid-transform': 'a transform rule needs redact or set; other actions take neither',
  'invalid-condition': 'a condition is a boolean CEL expression over stage, agent, tool_name, action, args, input, output and context',
  'invalid-pattern': 'patterns use RE2 syntax (no backreferences or lookaround)',
  'duplicate-rule-name': 'rename one of the rules',
  'conflicting-defaults': 'keep default_action only',
  'extends-missing': 'fix the path: it is relative to this file',
  'extends-outside-root': 'keep parent policies inside the directory being linted',
  'extends-cycle': 'remove one `extends` of the cycle',
  'not-enforced': 'remove it, or enforce it outside the policy engine',
  'not-json-data': 'use only strings, numbers, booleans, null, lists and mappings',
};

function toFinding(issue: PolicyIssue): LintFinding {
  const code = issue.code ?? 'policy-error';
  return {
    severity: issue.severity,
    code,
    file: issue.file ?? '',
    line: issue.line ?? 1,
    column: issue.column ?? 1,
    key: bracketKey(issue.key ?? ''),
    message: issue.message,
    hint: issue.hint ?? DEFAULT_HINTS[code] ?? 'see the policy reference in the README',
  };
}

/** `rules.2.condition` → `rules[2].condition`: the form people write in code. */
function bracketKey(key: string): string {
  return key.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}

/** A parent's problem is found again by every child that extends it: report it once. */
function dedupe(findings: readonly LintFinding[]): LintFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = [f.file, f.line, f.column, f.code, f.message].join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortFindings(findings: LintFinding[], files: readonly string[]): LintFinding[] {
  const order = (file: string) => {
    const i = files.indexOf(file);
    return i < 0 ? files.length : i;
  };
  return findings.sort((a, b) => order(a.file) - order(b.file) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.column - b.column);
}
