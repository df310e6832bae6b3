import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listRules, scanPaths, toSarif } from '../../../src/execution/scanner/index.js';

const CORPUS = join(import.meta.dirname, 'corpus');
const EXTENSIONS: Record<string, string> = { javascript: 'javascript', typescript: 'javascript', python: 'python', shell: 'shell' };

describe('scanner rule catalogue', () => {
  it('every rule has an id, severity, OWASP ASI tag and fix', () => {
    for (const rule of listRules()) {
      expect(rule.asi).toMatch(/^ASI(0[1-9]|10)$/);
      expect(rule.fix.length).toBeGreaterThan(20);
      expect(['low', 'medium', 'high', 'critical']).toContain(rule.severity);
    }
  });

  it('every rule has a vulnerable snippet and a fixed twin in every language it covers', () => {
    for (const rule of listRules()) {
      for (const folder of new Set(rule.languages.map((language) => EXTENSIONS[language] ?? language))) {
        const files = readdirSync(join(CORPUS, folder));
        expect(files.some((file) => file.startsWith(`${rule.id}.vuln.`)), `${folder}/${rule.id}.vuln.*`).toBe(true);
        expect(files.some((file) => file.startsWith(`${rule.id}.fixed.`)), `${folder}/${rule.id}.fixed.*`).toBe(true);
      }
    }
  });
});

describe('scanner documentation', () => {
  it.each(['README.md', 'docs/scanner.md'])('%s lists every rule with its severity and ASI tag', (document) => {
    const text = readFileSync(join(import.meta.dirname, '../../..', document), 'utf8');
    for (const rule of listRules()) expect(text).toContain(`| \`${rule.id}\` | ${rule.severity} | ${rule.asi} |`);
  });
});

describe('SARIF 2.1.0', () => {
  it('lists every rule and places each result in its file and region, relative to the base', async () => {
    const report = await scanPaths([join(CORPUS, 'python', 'pickle-without-hmac.vuln.py')]);
    const sarif = toSarif(report, '1.2.3', CORPUS) as {
      version: string;
      runs: { tool: { driver: { rules: { id: string; properties: { tags: string[] } }[] } }; results: Record<string, unknown>[] }[];
    };
    expect(sarif.version).toBe('2.1.0');
    const [run] = sarif.runs;
    expect(run?.tool.driver.rules.map((rule) => rule.id)).toEqual(listRules().map((rule) => rule.id));
    expect(run?.tool.driver.rules.find((rule) => rule.id === 'pickle-without-hmac')?.properties.tags).toEqual(['security', 'ASI05']);
    expect(run?.results).toEqual([
      {
        ruleId: 'pickle-without-hmac',
        ruleIndex: listRules().findIndex((rule) => rule.id === 'pickle-without-hmac'),
        level: 'error',
        message: { text: expect.stringContaining('pickle.loads() with no hmac.compare_digest') },
        locations: [{ physicalLocation: { artifactLocation: { uri: 'python/pickle-without-hmac.vuln.py', uriBaseId: 'SRCROOT' }, region: { startLine: 5, startColumn: 12, endLine: 5, endColumn: 33 } } }],
        properties: { severity: 'critical', asi: 'ASI05' },
      },
    ]);
  });
});
