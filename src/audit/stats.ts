import type Database from 'better-sqlite3';
import type { Verdict } from '../core/types.js';
import { readStoredEntries } from './sqlite-verify.js';

/** Verdict counts for one agent, tool or rule. */
export type VerdictCounts = Partial<Record<Verdict, number>> & { total: number };

/** What a log holds, summarized. */
export interface AuditStats {
  entries: number;
  /** Rows that could not be read (verify names them). */
  unreadable: number;
  first: string | null;
  last: string | null;
  verdicts: VerdictCounts;
  byAgent: Record<string, VerdictCounts>;
  byTool: Record<string, VerdictCounts>;
  byRule: Record<string, VerdictCounts>;
}

/** Counts verdicts overall and by agent, tool and deciding rule, in one pass over the store. */
export function auditStats(db: Database.Database): AuditStats {
  const stats: AuditStats = { entries: 0, unreadable: 0, first: null, last: null, verdicts: { total: 0 }, byAgent: {}, byTool: {}, byRule: {} };
  for (const entry of readStoredEntries(db)) {
    if ('malformed' in entry) {
      stats.unreadable++;
      continue;
    }
    stats.entries++;
    stats.first ??= entry.timestamp;
    stats.last = entry.timestamp;
    count(stats.verdicts, entry.verdict);
    count((stats.byAgent[String(entry.agent)] ??= { total: 0 }), entry.verdict);
    count((stats.byTool[entry.tool ?? '(none)'] ??= { total: 0 }), entry.verdict);
    count((stats.byRule[entry.rule ?? '(no rule)'] ??= { total: 0 }), entry.verdict);
  }
  return stats;
}

function count(counts: VerdictCounts, verdict: Verdict): void {
  counts.total++;
  counts[verdict] = (counts[verdict] ?? 0) + 1;
}
