import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPoliciesSync } from '../src/policy/loader.js';
import { lintPolicies } from '../src/policy/lint/lint.js';
import { runPolicyTests } from '../src/policy/testing/policy-test.js';
import { DEMO_POLICY } from '../src/cli/demo-scenario.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const TEMPLATES = join(import.meta.dirname, '../templates');
const NAMES = readdirSync(TEMPLATES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

describe('policy templates', () => {
  it('are the starter and the five documented ones, each listed in templates/README.md', () => {
    expect(NAMES.sort()).toEqual(['email-messaging-agent', 'filesystem-code-agent', 'mcp-server-baseline', 'saas-agent', 'sql-agent', 'starter']);
    const readme = readFileSync(join(TEMPLATES, 'README.md'), 'utf8');
    for (const name of NAMES) expect(readme).toContain(`[\`${name}\`]`);
  });

  it.each(NAMES)('%s loads without warnings and passes at least 8 cases of its own test file', (name) => {
    expect(loadPoliciesSync(join(TEMPLATES, name)).warnings).toEqual([]);
    const report = runPolicyTests([join(TEMPLATES, name)]);
    expect(report.files).toHaveLength(1);
    const failures = report.files.flatMap((f) => [...f.errors.map((e) => e.message), ...f.cases.filter((c) => !c.passed).map((c) => `${c.name}: ${c.failures.join('; ')}`)]);
    expect(failures).toEqual([]);
    expect(report.passed).toBeGreaterThanOrEqual(8);
  });

  it.each(NAMES)('%s lints clean, warnings included (agt lint-policy --strict)', (name) => {
    const report = lintPolicies([join(TEMPLATES, name)]);
    expect(report.findings.map((f) => `${f.file}:${f.line} ${f.code} ${f.message}`)).toEqual([]);
  });

  it("the demo's policy lints clean too", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'agt-demo-policy-')), 'demo-policy.yaml');
    writeFileSync(file, DEMO_POLICY);
    expect(lintPolicies([file]).findings).toEqual([]);
  });

  it('ship with the package', () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8')) as { files: string[] };
    expect(manifest.files).toContain('templates');
  });
});
