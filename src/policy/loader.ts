import { readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { PolicyLoadError, type PolicyIssue } from '../core/errors.js';
import { PolicyEvaluator, type EvaluatorOptions } from './evaluator.js';
import { isPolicyFileName } from './document/files.js';
import { mergeSources } from './document/extends.js';
import { MAX_POLICY_BYTES, parsePolicyText, type PolicySource } from './document/source.js';
import { readTextFile } from './document/read-file.js';

/**
 * Load: files and directories → validated sources, with `extends` resolved. A directory loads
 * every `*.yaml`, `*.yml` and `*.json` in it (not `*.test.yaml`, which hold policy tests), in name
 * order. A document that another document extends is a base: it is merged into its children and
 * does not apply on its own.
 */

/**
 * Loads a policy file or directory into an evaluator. Synchronous: loading reads local files and
 * compiles (Cedar parsing, `opa build` for Rego sources) and has nothing to wait for, so it does
 * not pretend to be asynchronous (`await loadPolicies(...)` still works, it awaits a value).
 * Throws {@link PolicyLoadError} listing every problem with its file, line and column.
 */
export function loadPolicies(pathOrDir: string, options: EvaluatorOptions = {}): PolicyEvaluator {
  return new PolicyEvaluator({ sources: loadPolicySources(pathOrDir), options });
}

/** The same function as {@link loadPolicies} (which is synchronous too); kept for existing callers. */
export const loadPoliciesSync: (pathOrDir: string, options?: EvaluatorOptions) => PolicyEvaluator = loadPolicies;

/** Reads, validates and merges (`extends`) the documents at `pathOrDir`. Throws {@link PolicyLoadError}. */
export function loadPolicySources(pathOrDir: string): PolicySource[] {
  const target = resolve(pathOrDir);
  let stats;
  try {
    stats = statSync(target);
  } catch {
    throw new PolicyLoadError([{ severity: 'error', code: 'no-such-file', file: pathOrDir, message: 'no such file or directory' }]);
  }
  const isDirectory = stats.isDirectory();
  // A named file's own directory is its root (extends resolve from where the file really is).
  const root = isDirectory ? realpathSync(target) : dirname(realpathSync(target));
  const files = isDirectory
    ? readdirSync(target)
        .filter(isPolicyFileName)
        .sort()
        .map((name) => join(target, name))
    : [target];
  if (files.length === 0) {
    throw new PolicyLoadError([{ severity: 'error', code: 'no-policy-files', file: pathOrDir, message: 'no policy files (*.yaml, *.yml, *.json) in this directory' }]);
  }
  const loader = new ExtendsResolver(root);
  const merged = files.flatMap((file) => {
    const real = loader.entry(file);
    return real ? [loader.resolve(real, [])] : [];
  });
  const issues = loader.issues;
  if (issues.some((i) => i.severity === 'error')) throw new PolicyLoadError(issues);
  return merged.filter((source) => !loader.isBase(source.file as string));
}

/** One policy file, resolved without throwing: see {@link resolvePolicyFile}. */
export interface ResolvedPolicyFile {
  /** The document with its `extends` parents merged in; null when it or a parent does not parse. */
  merged: PolicySource | null;
  /** The document as this file writes it, before merging; null when it does not parse. */
  own: PolicySource | null;
  /** Every error and warning found, in this file and in the parents it reaches. */
  issues: PolicyIssue[];
}

/**
 * Resolves one policy file (with its `extends`, which must stay inside `root`) and collects every
 * problem instead of stopping at the first: the form tools that report all problems (lint) need.
 * Loading proper ({@link loadPolicySources}) throws on the same problems.
 */
export function resolvePolicyFile(file: string, root: string): ResolvedPolicyFile {
  const resolver = new ExtendsResolver(realpathSync(root));
  const real = resolver.entry(file);
  if (!real) return { merged: null, own: null, issues: resolver.issues };
  let merged: PolicySource | null = null;
  const issues: PolicyIssue[] = [];
  try {
    merged = resolver.resolve(real, []);
  } catch (error) {
    if (!(error instanceof PolicyLoadError)) throw error;
    issues.push(...error.issues);
  }
  return { merged, own: resolver.parsedSource(real), issues: [...resolver.issues, ...issues] };
}

class ExtendsResolver {
  readonly issues: PolicyIssue[] = [];
  private readonly parsed = new Map<string, PolicySource>();
  private readonly merged = new Map<string, PolicySource>();
  private readonly bases = new Set<string>();

  constructor(private readonly root: string) {}

  isBase(file: string): boolean {
    return this.bases.has(file);
  }

  /** The document `file` holds as written, if it has been parsed. */
  parsedSource(file: string): PolicySource | null {
    return this.parsed.get(file) ?? null;
  }

  /**
   * The real path of a file being loaded, or null (with an issue) when it is a dangling link or a
   * link out of the policy directory: the same containment `extends` gets, so a symlink cannot
   * bring in a file the directory does not hold.
   */
  entry(file: string): string | null {
    const label = relative(process.cwd(), file) || file;
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      this.issues.push({ severity: 'error', code: 'no-such-file', file: label, message: 'no such file (a dangling symbolic link?)' });
      return null;
    }
    if (!this.contains(real)) {
      this.issues.push({ severity: 'error', code: 'outside-policy-directory', file: label, message: `links to ${real}, outside the policy directory ${this.root}`, hint: 'copy the policy into the directory instead of linking to it' });
      return null;
    }
    return real;
  }

  private contains(real: string): boolean {
    const inside = relative(this.root, real);
    return !(inside.startsWith('..') || isAbsolute(inside));
  }

  /** The document at `file` with its parents merged in; `chain` detects cycles. */
  resolve(file: string, chain: readonly string[]): PolicySource {
    const done = this.merged.get(file);
    if (done) return done;
    const own = this.parse(file);
    const parents = own.spec.extends === undefined ? [] : Array.isArray(own.spec.extends) ? own.spec.extends : [own.spec.extends];
    let result = own;
    parents.forEach((parent, i) => {
      const parentFile = this.locateParent(own, parent, Array.isArray(own.spec.extends) ? ['extends', i] : ['extends'], [...chain, file]);
      if (!parentFile) return;
      this.bases.add(parentFile);
      result = mergeSources(this.resolve(parentFile, [...chain, file]), result, this.issues);
    });
    this.merged.set(file, result);
    return result;
  }

  private parse(file: string): PolicySource {
    const cached = this.parsed.get(file);
    if (cached) return cached;
    const label = relative(process.cwd(), file) || file;
    const source = parsePolicyText(readTextFile(file, label, MAX_POLICY_BYTES), label, file);
    this.issues.push(...source.warnings);
    this.parsed.set(file, source);
    return source;
  }

  private locateParent(child: PolicySource, parent: string, path: (string | number)[], chain: readonly string[]): string | null {
    const at = { file: child.origin, ...child.locate(path), key: path.join('.') };
    const candidate = resolve(dirname(child.file as string), parent);
    let real: string;
    try {
      real = realpathSync(candidate);
    } catch {
      this.issues.push({ severity: 'error', code: 'extends-missing', ...at, message: `extends '${parent}': no such file` });
      return null;
    }
    if (!this.contains(real)) {
      this.issues.push({ severity: 'error', code: 'extends-outside-root', ...at, message: `extends '${parent}' leaves the policy directory ${this.root}`, hint: 'keep parent policies inside the directory being loaded' });
      return null;
    }
    if (statSync(real).isDirectory()) {
      this.issues.push({ severity: 'error', code: 'is-a-directory', ...at, message: `extends '${parent}' names a directory`, hint: 'extends names one policy file' });
      return null;
    }
    if (chain.includes(real)) {
      const cycle = [...chain.slice(chain.indexOf(real)), real].map((f) => relative(this.root, f)).join(' → ');
      this.issues.push({ severity: 'error', code: 'extends-cycle', ...at, message: `extends cycle: ${cycle}` });
      return null;
    }
    return real;
  }
}
