import { closeSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { exportStore, importInto, type ExportFormat } from '../audit/export.js';
import { CheckFailed, UsageError } from './errors.js';
import { openNewFile, readHead, requireReadableFile } from './paths.js';
import { openExistingStore, openWritableStore, storeOption } from './store.js';
import { describeError } from '../core/errors.js';

/** `agt audit export` and `agt audit import`: move a log out of and into a store. */
export function registerAuditExport(audit: Command): void {
  audit
    .command('export')
    .description('write the log as JSONL (re-verifiable, importable) or as a CloudEvents 1.0 JSON batch')
    .addOption(storeOption())
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'cloudevents']).default('jsonl'))
    .option('-o, --output <file>', 'write to a file instead of stdout (refuses to overwrite)')
    .addHelpText('after', `
JSONL lines are the entries exactly as hashed (plus their hash): \`agt audit import\` reads them
back into a new store, which verifies. CloudEvents: one structured-mode event per entry, type
dev.agentgovernance.audit.decision.v1, data = the entry.

Examples:
  agt audit export > audit.jsonl
  agt audit export --format cloudevents -o audit-events.json`)
    .action(async (options: { store: string; format: ExportFormat; output?: string }) => {
      const db = openExistingStore(options.store);
      let fd: number | null = null;
      try {
        if (options.output !== undefined) fd = openNewFile(options.output, '--output');
        let buffered = '';
        for (const chunk of exportStore(db, options.format)) {
          buffered += chunk;
          if (buffered.length > 1 << 20) {
            await write(fd, buffered);
            buffered = '';
          }
        }
        await write(fd, buffered);
      } finally {
        db.close();
        if (fd !== null) closeSync(fd);
      }
    });

  audit
    .command('import')
    .description('import an exported log (JSONL or CloudEvents) into a new store, verifying it first')
    .argument('<file>', 'a file written by `agt audit export`')
    .addOption(storeOption())
    .option('--key <file>', 'signing key of the new store (default: beside it)')
    .option('--json', 'print { store, entries } as JSON')
    .addHelpText('after', `
Nothing is written unless the whole chain verifies. The new store signs its own checkpoints, so
its public key (agt audit key) is the one to verify it with.

Examples:
  agt audit import audit.jsonl --store restored/audit.db`)
    .action((file: string, options: { store: string; key?: string; json?: boolean }) => {
      checkExportFile(file);
      const sink = openWritableStore(options.store, options.key);
      try {
        if (sink.last() !== null) throw new UsageError(`${options.store} already holds entries; import into a new store (give --store a new path)`);
        const { entries } = importInto(sink, file);
        process.stdout.write(options.json ? JSON.stringify({ store: options.store, entries }) + '\n' : `imported ${entries} entries into ${options.store}; the chain verifies\n`);
      } catch (error) {
        throw error instanceof UsageError ? error : new CheckFailed(describeError(error));
      } finally {
        sink.close();
      }
    });

  audit
    .command('key')
    .description("print the store's public key (PEM), to publish or give an auditor")
    .addOption(storeOption())
    .option('--json', 'print { store, publicKey } as JSON')
    .addHelpText('after', `
Examples:
  agt audit key > audit-public.pem
  agt audit verify --public-key audit-public.pem`)
    .action((options: { store: string; json?: boolean }) => {
      const db = openExistingStore(options.store);
      try {
        const key = db.prepare(`SELECT value FROM meta WHERE key = 'public_key'`).pluck().get();
        if (typeof key !== 'string') throw new UsageError(`${options.store} records no public key`);
        if (options.json) process.stdout.write(JSON.stringify({ store: options.store, publicKey: key }) + '\n');
        else process.stdout.write(key.endsWith('\n') ? key : key + '\n');
      } finally {
        db.close();
      }
    });
}

/**
 * Refuses what cannot be an export before a store is made for it: not a readable regular file,
 * or one that starts with neither a JSONL line nor a CloudEvents batch (binary, a database, prose).
 */
function checkExportFile(file: string): void {
  const fix = 'pass a file written by `agt audit export`';
  requireReadableFile(file, 'an audit export', fix);
  const start = readHead(file, 4096, fix).toString('latin1').trimStart();
  if (start !== '' && start[0] !== '{' && start[0] !== '[') throw new UsageError(`${file} is not an audit export (JSONL or a CloudEvents batch); ${fix}`);
}

/** Writes to the file, or to stdout respecting backpressure (a pipe may be non-blocking). */
async function write(fd: number | null, text: string): Promise<void> {
  if (fd !== null) {
    writeSync(fd, text);
    return;
  }
  if (!process.stdout.write(text)) await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}
