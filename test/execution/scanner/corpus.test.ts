import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPaths } from '../../../src/execution/scanner/index.js';

/**
 * The corpus: for each rule, a vulnerable snippet named `<rule>.vuln.<ext>` and its fixed twin
 * `<rule>.fixed.<ext>`, in every language the rule covers. The vulnerable one must raise its rule
 * (and nothing it does not mean to); the fixed one must raise nothing at all.
 */
const CORPUS = join(import.meta.dirname, 'corpus');
const languages = readdirSync(CORPUS);

describe.each(languages)('scanner corpus: %s', (language) => {
  const files = readdirSync(join(CORPUS, language)).sort();
  const vulnerable = files.filter((file) => file.includes('.vuln.'));

  it('has a fixed twin for every vulnerable snippet', () => {
    for (const file of vulnerable) expect(files).toContain(file.replace('.vuln.', '.fixed.'));
  });

  it.each(vulnerable)('%s raises its rule, and only its rule', async (file) => {
    const rule = file.slice(0, file.indexOf('.vuln.'));
    const report = await scanPaths([join(CORPUS, language, file)]);
    expect(report.findings.length).toBeGreaterThan(0);
    expect(new Set(report.findings.map((found) => found.ruleId))).toEqual(new Set([rule]));
  });

  it.each(vulnerable.map((file) => file.replace('.vuln.', '.fixed.')))('%s raises nothing', async (file) => {
    const report = await scanPaths([join(CORPUS, language, file)]);
    expect(report.findings).toEqual([]);
    expect(report.notes).toEqual([]);
  });
});
