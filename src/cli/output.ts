import type { Decision } from '../core/types.js';

/** Colors only for a terminal, and never with NO_COLOR (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !('NO_COLOR' in process.env) && process.env.TERM !== 'dumb';
}

const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2 } as const;
/** Colors the CLI uses. */
export type Color = keyof typeof CODES;

/** `text` in `color` when `enabled` (a TTY without NO_COLOR), else unchanged. */
export function paint(text: string, color: Color, enabled: boolean): string {
  return enabled ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

const VERDICT_COLOR: Record<Decision['verdict'], Color> = {
  allow: 'green',
  log: 'green',
  warn: 'yellow',
  transform: 'cyan',
  require_approval: 'yellow',
  deny: 'red',
};

/** A verdict padded to one width, in its color. */
export function formatVerdict(verdict: Decision['verdict'], color: boolean): string {
  return paint(verdict.padEnd(16), VERDICT_COLOR[verdict] ?? 'dim', color);
}

/** One readable line per decision: verdict, deciding rule and policy, reason. */
export function formatDecisionLine(decision: Decision, color: boolean): string {
  const verdict = formatVerdict(decision.verdict, color);
  const where = decision.rule ? `rule=${decision.rule}` : 'rule=-';
  const policy = decision.policy ? ` policy=${decision.policy}` : '';
  const extras = [
    decision.rateLimited ? `retryAfterMs=${decision.retryAfterMs}` : '',
    decision.approvers.length ? `approvers=${decision.approvers.join(',')}` : '',
    decision.transform ? `transform=${JSON.stringify(decision.transform)}` : '',
  ].filter(Boolean);
  return `${verdict} ${where}${policy}  ${decision.reason}${extras.length ? '  ' + extras.join(' ') : ''}`;
}
