import type { Finding } from './finding.js';
import { RULES } from './rules.js';

/**
 * `agt-scan-ignore <rule-id>: why` in a comment on a finding's line, or alone on the line just
 * above it, suppresses that rule's finding there. The reason is required (an ignore without one
 * suppresses nothing), one rule per comment, and suppressed findings are still reported as such.
 * Only the operator's own code honours these: the sandbox never does, or submitted code could
 * switch the scanner off with a comment (see ScanOptions.ignoreComments).
 */

/** `// agt-scan-ignore code-eval: why`, `# agt-scan-ignore rm-rf-variable: why`, or inside a block comment. */
const IGNORE = /(?:\/\/|\/\*|#)\s*agt-scan-ignore\s+([a-z][a-z0-9-]*)\s*:\s*\S/g;

/** Which rules each 1-based line's comments ignore. */
function ignoresByLine(text: string): Map<number, Set<string>> {
  const byLine = new Map<number, Set<string>>();
  if (!text.includes('agt-scan-ignore')) return byLine; // the common case costs one search
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    for (const match of line.matchAll(IGNORE)) {
      const rule = match[1] as string;
      if (!Object.hasOwn(RULES, rule)) continue;
      const rules = byLine.get(index + 1) ?? new Set<string>();
      rules.add(rule);
      byLine.set(index + 1, rules);
    }
  });
  return byLine;
}

/** True when a line holds nothing but a comment (an ignore there applies to the next line). */
function commentOnly(text: string, line: number): boolean {
  const content = text.split('\n')[line - 1]?.trim() ?? '';
  return content.startsWith('//') || content.startsWith('#') || content.startsWith('/*') || content.startsWith('*');
}

/** Splits findings into those that stand and those an ignore comment suppresses. */
export function applyIgnoreComments(text: string, findings: readonly Finding[]): { kept: Finding[]; suppressed: Finding[] } {
  const byLine = ignoresByLine(text);
  if (byLine.size === 0) return { kept: [...findings], suppressed: [] };
  const kept: Finding[] = [];
  const suppressed: Finding[] = [];
  for (const found of findings) {
    const sameLine = byLine.get(found.line)?.has(found.ruleId) === true;
    const lineAbove = byLine.get(found.line - 1)?.has(found.ruleId) === true && commentOnly(text, found.line - 1);
    (sameLine || lineAbove ? suppressed : kept).push(found);
  }
  return { kept, suppressed };
}
