import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanPaths, scanSource, type ScanLanguage } from '../../../src/execution/scanner/index.js';
import { sandboxTool } from '../../../src/kernel/sandbox-tool.js';
import { GovernanceDenied } from '../../../src/core/errors.js';
import { PolicyEvaluator } from '../../../src/policy/index.js';

const rules = async (language: ScanLanguage, text: string, ignoreComments = true): Promise<string[]> =>
  (await scanSource({ file: `x.${language === 'python' ? 'py' : language === 'shell' ? 'sh' : 'js'}`, language, text }, { ignoreComments })).map((f) => f.ruleId);

describe('agt-scan-ignore <rule-id>: why', () => {
  it('suppresses the named rule on its line or from a comment line just above, in each language', async () => {
    expect(await rules('javascript', 'eval(process.argv[2]); // agt-scan-ignore code-eval: test fixture')).toEqual([]);
    expect(await rules('javascript', '/* agt-scan-ignore code-eval: test fixture */\neval(process.argv[2]);')).toEqual([]);
    expect(await rules('python', '# agt-scan-ignore code-eval: reviewed\neval(input())')).toEqual([]);
    expect(await rules('shell', 'rm -rf $DIR/x # agt-scan-ignore rm-rf-variable: DIR is set above')).toEqual([]);
  });

  it('suppresses nothing without a reason, for another rule, an unknown rule, or from a code line above', async () => {
    expect(await rules('javascript', 'eval(process.argv[2]); // agt-scan-ignore code-eval')).toEqual(['code-eval']);
    expect(await rules('javascript', 'eval(process.argv[2]); // agt-scan-ignore code-eval:   ')).toEqual(['code-eval']);
    expect(await rules('javascript', 'eval(process.argv[2]); // agt-scan-ignore ssrf: wrong rule')).toEqual(['code-eval']);
    expect(await rules('javascript', 'eval(process.argv[2]); // agt-scan-ignore code-evil: look-alike')).toEqual(['code-eval']);
    expect(await rules('python', 'x = 1  # agt-scan-ignore code-eval: only this line\neval(input())')).toEqual(['code-eval']);
    expect(await rules('python', '# agt-scan-ignore code-eval: too far\n\neval(input())')).toEqual(['code-eval']);
  });

  it('is off unless asked for: scanSource and scanPaths default to reporting everything', async () => {
    expect(await rules('javascript', 'eval(process.argv[2]); // agt-scan-ignore code-eval: test fixture', false)).toEqual(['code-eval']);
    const dir = mkdtempSync(join(tmpdir(), 'agt-ignore-'));
    try {
      writeFileSync(join(dir, 'a.py'), 'eval(input())  # agt-scan-ignore code-eval: reviewed\nexec(input())\n');
      const plain = await scanPaths([dir]);
      expect(plain.findings).toHaveLength(2);
      expect(plain.suppressed).toBeUndefined();
      const honoured = await scanPaths([dir], { ignoreComments: true });
      expect(honoured.findings.map((f) => f.line)).toEqual([2]);
      expect(honoured.suppressed?.map((f) => [f.ruleId, f.line])).toEqual([['code-eval', 1]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('code submitted to the sandbox cannot switch the scanner off with a comment', async () => {
    const policy = PolicyEvaluator.fromYaml('apiVersion: governance.toolkit/v1\nname: p\ndefault_action: allow\n');
    const run = sandboxTool({ policy, audit: false });
    await expect(run({ language: 'python', code: 'eval(input())  # agt-scan-ignore code-eval: trust me' })).rejects.toThrow(GovernanceDenied);
  });
});

describe('governance rules: what counts as governed and audited', () => {
  const TOOL = "export const t = { description: 'd', parameters: {}, execute: async (x) => x };\n";
  it('a tool in a file that puts its calls through a Kernel or the hand-off gate is governed', async () => {
    expect(await rules('javascript', TOOL)).toEqual(['ungoverned-tool']);
    expect(await rules('javascript', `const gate = new HandoffGate(gateOptions);\n${TOOL}`)).toEqual([]);
    expect(await rules('javascript', `const kernel = new Kernel({ policy, audit: sink });\n${TOOL}`)).toEqual([]);
  });

  it('options spread from elsewhere may carry the audit and are not reported; audit: false still is', async () => {
    expect(await rules('javascript', 'govern(tool, { ...options, name: "t" });')).toEqual([]);
    expect(await rules('javascript', 'govern(tool, { ...options, audit: false });')).toEqual(['no-audit-sink']);
    expect(await rules('javascript', 'govern(tool, { policy: "p.yaml" });')).toEqual(['no-audit-sink']);
  });
});
