import type { Command } from 'commander';
import { auditStats, type VerdictCounts } from '../audit/stats.js';
import { openExistingStore, storeOption } from './store.js';

const VERDICTS = ['allow', 'deny', 'require_approval', 'transform', 'warn', 'log'] as const;

/** `agt audit stats`: verdicts by agent, tool and rule. */
export function registerAuditStats(audit: Command): void {
  audit
    .command('stats')
    .description('summarize the log: verdicts overall and by agent, tool and rule')
    .addOption(storeOption())
    .option('--json', 'print the summary as JSON')
    .option('--top <n>', 'rows per table', (value) => Number.parseInt(value, 10), 10)
    .addHelpText('after', `
Examples:
  agt audit stats
  agt audit stats --store .agt/audit.db --json | jq .byRule`)
    .action((options: { store: string; json?: boolean; top: number }) => {
      const db = openExistingStore(options.store);
      const stats = (() => {
        try {
          return auditStats(db);
        } finally {
          db.close();
        }
      })();
      if (options.json) {
        process.stdout.write(JSON.stringify(stats, null, 2) + '\n');
        return;
      }
      const lines = [`${options.store}: ${stats.entries} entries${stats.first ? `, ${stats.first} .. ${stats.last}` : ''}${stats.unreadable ? `, ${stats.unreadable} unreadable (run agt audit verify)` : ''}`, ''];
      lines.push(...table('verdict', { all: stats.verdicts }, 1));
      lines.push('', ...table('agent', stats.byAgent, options.top), '', ...table('tool', stats.byTool, options.top), '', ...table('rule', stats.byRule, options.top));
      process.stdout.write(lines.join('\n') + '\n');
    });
}

/** A fixed-width table of verdict counts, busiest rows first. */
function table(title: string, rows: Record<string, VerdictCounts>, top: number): string[] {
  const sorted = Object.entries(rows).sort(([a, x], [b, y]) => y.total - x.total || (a < b ? -1 : 1));
  const shown = sorted.slice(0, Math.max(1, top));
  const width = Math.max(title.length, ...shown.map(([name]) => name.length));
  const header = `${title.padEnd(width)}  ${'total'.padStart(7)}${VERDICTS.map((v) => `  ${v.padStart(Math.max(7, v.length))}`).join('')}`;
  const body = shown.map(([name, counts]) => `${name.padEnd(width)}  ${String(counts.total).padStart(7)}${VERDICTS.map((v) => `  ${String(counts[v] ?? 0).padStart(Math.max(7, v.length))}`).join('')}`);
  if (sorted.length > shown.length) body.push(`… ${sorted.length - shown.length} more (--top N)`);
  return [header, ...body];
}
