import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { PolicyLoadError, type PolicyIssue } from '../../../src/core/errors.js';
import { loadPoliciesSync } from '../../../src/policy/loader.js';

/** A temporary directory holding `files` (name → text or bytes). */
export function tree(files: Record<string, string | Buffer>): string {
  const root = mkdtempSync(join(tmpdir(), 'agt-engines-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(root, name, '..'), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

/** The issues loading `path` fails with. */
export function loadIssues(path: string): PolicyIssue[] {
  try {
    loadPoliciesSync(path);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyLoadError);
    return (error as PolicyLoadError).issues.filter((i) => i.severity === 'error');
  }
  throw new Error('expected a load error');
}

export const policyWith = (engines: string, extra = '') => `apiVersion: governance.toolkit/v1\nname: p\n${extra}engines:\n${engines}`;
