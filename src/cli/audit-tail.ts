import type { Command } from 'commander';
import type { AuditEntry } from '../audit/entry.js';
import { readStoredEntries } from '../audit/sqlite-verify.js';
import { UsageError } from './errors.js';
import { formatVerdict, useColor } from './output.js';
import { openExistingStore, storeOption } from './store.js';

interface TailOptions {
  store: string;
  lines: number;
  follow?: boolean;
  json?: boolean;
}

/** `agt audit tail`: the newest entries, optionally following new ones. */
export function registerAuditTail(audit: Command): void {
  audit
    .command('tail')
    .description('print the newest entries; with --follow, keep printing new ones')
    .addOption(storeOption())
    .option('-n, --lines <n>', 'how many entries', (value) => Number.parseInt(value, 10), 20)
    .option('-f, --follow', 'keep watching for new entries (Ctrl-C to stop)')
    .option('--json', 'one JSON entry per line')
    .addHelpText('after', `
Examples:
  agt audit tail -n 50
  agt audit tail --follow --json | jq 'select(.verdict == "deny")'`)
    .action(async (options: TailOptions) => {
      if (!Number.isSafeInteger(options.lines) || options.lines < 0) throw new UsageError('--lines must be a whole number, e.g. -n 20');
      const db = openExistingStore(options.store);
      const color = useColor(process.stdout);
      const print = (entry: AuditEntry | { seq: number; malformed: string }) =>
        process.stdout.write((options.json ? JSON.stringify(entry) : 'malformed' in entry ? `${entry.seq}  (unreadable row: ${entry.malformed})` : formatEntry(entry, color)) + '\n');
      const newest = (db.prepare('SELECT max(seq) FROM entries').pluck().get() as number | null) ?? 0;
      let lastSeq = Math.max(0, newest - options.lines);
      for (const entry of readStoredEntries(db, lastSeq)) {
        print(entry);
        lastSeq = entry.seq;
      }
      if (!options.follow) {
        db.close();
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          for (const entry of readStoredEntries(db, lastSeq)) {
            print(entry);
            lastSeq = entry.seq;
          }
        }, 250);
        process.once('SIGINT', () => {
          clearInterval(timer);
          db.close();
          resolve();
        });
      });
    });
}

function formatEntry(entry: AuditEntry, color: boolean): string {
  const subject = entry.tool ?? entry.actionType ?? '-';
  // The enforced identity (what ran, what an approval bound to), abbreviated as git abbreviates commits.
  const enforced = entry.enforcedIdentity ? `  enforced=${entry.enforcedIdentity.slice(0, 12)}` : '';
  return `${String(entry.seq).padStart(6)}  ${entry.timestamp}  ${formatVerdict(entry.verdict, color)} ${entry.agent}  ${subject}  rule=${entry.rule ?? '-'}${enforced}  ${entry.reason}`;
}
