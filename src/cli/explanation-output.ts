import type { Explanation, RuleExplanation } from '../policy/index.js';
import { paint } from './output.js';

/**
 * An explanation as an indented tree, printed under its decision line by `agt policy eval
 * --explain`: what was asked, which policies applied, each rule evaluated with its condition's
 * value, what was skipped and why, and what settled the decision.
 */
export function formatExplanation(explanation: Explanation, color: boolean): string {
  const lines: string[] = [];
  const add = (depth: number, text: string) => lines.push(`${'  '.repeat(depth)}${text}`);
  const { decidedBy } = explanation;

  if (decidedBy.by === 'request_error') {
    add(1, `decided by the request (${decidedBy.kind}): no policy was consulted`);
    return lines.join('\n');
  }
  add(1, `request: stage ${explanation.stage}, agent ${explanation.agent}`);
  add(1, `policies: ${explanation.documents.map((d) => `${d.policy} (${d.origin})${d.applies ? '' : paint(' does not apply to this agent', 'dim', color)}`).join(', ')}`);
  if (decidedBy.by === 'no_policy') {
    add(1, `decided by: ${decidedBy.detail}`);
    return lines.join('\n');
  }
  if (decidedBy.by === 'document_check') {
    add(1, `decided by ${decidedBy.check} of policy '${decidedBy.policy}', before any rule: ${decidedBy.detail}`);
    return lines.join('\n');
  }

  const skippedByIndex = explanation.skipped.filter((s) => s.by === 'index').length;
  const skippedByAgent = explanation.skipped.length - skippedByIndex;
  const counts = [
    `${explanation.rules.length} evaluated`,
    `${skippedByIndex} skipped by the rule index`,
    ...(skippedByAgent ? [`${skippedByAgent} of policies that do not apply`] : []),
    `${explanation.otherStages} for other stages`,
  ];
  add(1, `rules: ${counts.join(', ')}`);
  for (const rule of explanation.rules) add(2, formatRule(rule, color));
  if (explanation.skipped.length > 0) {
    add(1, 'skipped:');
    for (const skipped of explanation.skipped) add(2, paint(`${skipped.rule}: ${skipped.why}`, 'dim', color));
  }

  if (decidedBy.by === 'conflict') {
    const candidates = decidedBy.candidates.map((c) => `${c.rule} (${c.verdict}${c.rateLimited ? ', rate limited' : ''})`);
    add(1, `decided by ${decidedBy.strategy} among ${candidates.join(', ')}:`);
    add(2, decidedBy.why);
    if (decidedBy.mergedTransforms) add(2, `transforms merged from ${decidedBy.mergedTransforms.join(', ')}`);
  } else if (decidedBy.by === 'engines') {
    add(1, `decided by ${decidedBy.combine} among ${decidedBy.parts.map((p) => `${p.rule} (${p.verdict})`).join(', ')}:`);
    add(2, decidedBy.why);
  } else {
    add(1, `decided by ${decidedBy.check ?? 'the default'} of policy '${decidedBy.policy}': ${decidedBy.detail}`);
  }

  if (explanation.rateLimits.length > 0) {
    add(1, 'rate limits:');
    for (const limit of explanation.rateLimits) {
      const state = limit.exceeded ? `past the limit (retry in ${limit.retryAfterMs} ms)` : 'within the limit';
      const counted = limit.counted ? 'this call counted' : explanation.dryRun ? 'not counted (dry run)' : 'this call not counted';
      add(2, `${limit.rule} ${limit.limit}: ${state}; ${counted}`);
    }
  }
  return lines.join('\n');
}

/** `matched  block-destructive  deny, priority 0  action.type == 'drop' → true` */
function formatRule(rule: RuleExplanation, color: boolean): string {
  const mark = rule.matched ? paint('matched', 'green', color) : paint('-      ', 'dim', color);
  const condition = rule.condition ?? '(no condition)';
  const value = rule.value === 'error' ? paint(`error: ${rule.error ?? ''}`, 'red', color) : String(rule.value);
  return `${mark}  ${rule.rule}  ${rule.action}, priority ${rule.priority}  ${condition} → ${value}`;
}
