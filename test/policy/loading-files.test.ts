import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyLoadError, type PolicyIssue } from '../../src/core/errors.js';
import { loadPolicies, loadPolicySources } from '../../src/policy/loader.js';
import { lintPolicies } from '../../src/policy/index.js';

// Hardening: a policy directory holds only regular, UTF-8, in-directory files with known YAML
// tags; anything else is a located load error with a stable code, never a hang or raw Node error.

const doc = (name: string, body = 'rules: []\n') => `apiVersion: governance.toolkit/v1\nname: ${name}\n${body}`;
const posix = process.platform !== 'win32';

function dir(files: Record<string, string | Buffer> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'agt-loading-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
  return root;
}

function loadIssues(path: string): PolicyIssue[] {
  try {
    loadPolicies(path);
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyLoadError);
    return (error as PolicyLoadError).issues;
  }
  throw new Error('expected a load error');
}

/**
 * Loads in a child process: a blocking read of a FIFO blocks the whole test worker, which no
 * vitest timeout can interrupt, while spawnSync's timeout kills the child and the test fails.
 */
function loadIssuesInChild(path: string): PolicyIssue[] {
  const loader = join(import.meta.dirname, '../../src/policy/loader.ts');
  const script = `const { loadPolicies } = await import(${JSON.stringify(loader)});
    try { loadPolicies(process.argv[1]); console.log('[]'); } catch (e) { console.log(JSON.stringify(e.issues ?? String(e))); }`;
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, path], { encoding: 'utf8', timeout: 8000 });
  expect(result.error, 'the loader blocked').toBeUndefined();
  return JSON.parse(result.stdout) as PolicyIssue[];
}

describe('policy files that are not regular files', () => {
  it.runIf(posix)('refuses a FIFO named *.yaml instead of blocking on it', { timeout: 20000 }, () => {
    const root = dir({ 'a.yaml': doc('a') });
    execFileSync('mkfifo', [join(root, 'b.yaml')]);
    expect(loadIssuesInChild(root)).toEqual([expect.objectContaining({ code: 'not-a-regular-file', file: expect.stringContaining('b.yaml'), hint: expect.any(String) })]);
    expect(loadIssuesInChild(join(root, 'b.yaml'))[0]?.code).toBe('not-a-regular-file');
  });

  it.runIf(posix)('refuses a symlink to /dev/zero instead of reading without end', { timeout: 20000 }, () => {
    const root = dir();
    symlinkSync('/dev/zero', join(root, 'z.yaml'));
    expect(loadIssuesInChild(root)[0]).toMatchObject({ code: expect.stringMatching(/not-a-regular-file|outside-policy-directory/) });
    expect(loadIssuesInChild(join(root, 'z.yaml'))[0]?.code).toBe('not-a-regular-file');
  });

  it('refuses a directory named x.yaml with a located error, not a raw EISDIR', () => {
    const root = dir({ 'a.yaml': doc('a') });
    mkdirSync(join(root, 'x.yaml'));
    expect(loadIssues(root)).toEqual([expect.objectContaining({ code: 'is-a-directory', file: expect.stringContaining('x.yaml'), hint: expect.any(String) })]);
  });

  it('refuses an extends that names a directory', () => {
    const root = dir({ 'a.yaml': doc('a', 'extends: ./base\nrules: []\n') });
    mkdirSync(join(root, 'base'));
    expect(loadIssues(root)).toEqual([expect.objectContaining({ code: 'is-a-directory', file: expect.stringContaining('a.yaml'), line: 3, message: expect.stringContaining('./base') })]);
  });
});

describe('policy files outside the policy directory', () => {
  it.runIf(posix)('refuses a symlink in the directory to a file outside it, as extends does', () => {
    const outside = dir({ 'secret.yaml': doc('secret', 'default_action: allow\nrules: []\n') });
    const root = dir({ 'a.yaml': doc('a') });
    symlinkSync(join(outside, 'secret.yaml'), join(root, 'b.yaml'));
    expect(loadIssues(root)).toEqual([expect.objectContaining({ code: 'outside-policy-directory', file: expect.stringContaining('b.yaml'), hint: expect.any(String) })]);
  });

  it.runIf(posix)('still loads a symlink to a file inside the directory', () => {
    const root = dir({ 'a.yaml': doc('a') });
    mkdirSync(join(root, 'shared'));
    writeFileSync(join(root, 'shared', 'b.yml'), doc('b'));
    symlinkSync(join(root, 'shared', 'b.yml'), join(root, 'b.yaml'));
    expect(loadPolicySources(root).map((s) => s.spec.name).sort()).toEqual(['a', 'b']);
  });
});

describe('policy text', () => {
  it('refuses bytes that are not UTF-8, with the byte offset and line', () => {
    const before = Buffer.from(doc('a', 'description: café '));
    const root = dir({ 'a.yaml': Buffer.concat([before, Buffer.from([0xe9]), Buffer.from('\nrules: []\n')]) });
    const [issue] = loadIssues(root);
    expect(issue).toMatchObject({ code: 'invalid-utf8', line: 3, message: expect.stringContaining(`offset ${before.length}`) });
  });

  it('accepts a U+FFFD written in the file', () => {
    const root = dir({ 'a.yaml': doc('a', 'description: "\uFFFD"\nrules: []\n') });
    expect(loadPolicySources(root)).toHaveLength(1);
  });

  it.each(['!!js/function "function () {}"', '!custom x', '!!binary aGk='])('refuses the unknown or non-JSON YAML tag %s', (value) => {
    const root = dir({ 'a.yaml': doc('a', `description: ${value}\nrules: []\n`) });
    const [issue] = loadIssues(root);
    expect(issue).toMatchObject({ code: 'yaml-unknown-tag', line: 3, hint: expect.any(String) });
  });

  it('reports the same problems through lint, with codes', () => {
    const root = dir({ 'a.yaml': doc('a', 'description: !!js/function "f"\nrules: []\n') });
    expect(lintPolicies([root]).findings.map((f) => f.code)).toContain('yaml-unknown-tag');
  });
});
