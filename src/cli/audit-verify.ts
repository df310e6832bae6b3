import type { Command } from 'commander';
import { verifySqliteStore } from '../audit/sqlite-verify.js';
import { EXIT, UsageError } from './errors.js';
import { paint, useColor } from './output.js';
import { ProgressBar } from './progress.js';
import { openExistingStore, storeOption } from './store.js';
import { readArgumentFile } from './files.js';

interface VerifyOptions {
  store: string;
  publicKey?: string;
  json?: boolean;
}

/** `agt audit verify`: re-checks every entry, link, Merkle root and checkpoint signature. */
export function registerAuditVerify(audit: Command): void {
  audit
    .command('verify')
    .description('verify the chain, the Merkle roots and the checkpoint signatures; name the first bad entry')
    .addOption(storeOption())
    .option('--public-key <file>', "verify checkpoints with this public key (PEM) instead of the one the store records")
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Exits 0 when the log is intact, 1 when it is not (the first bad sequence number is printed).
Detects edited, deleted, inserted and swapped entries, a truncated tail (against the last
checkpoint), rewritten entries (against a checkpoint's Merkle root) and forged checkpoint
signatures. Pass --public-key with a copy of the key you keep elsewhere so that the check does
not rely on the store itself.

Examples:
  agt audit verify
  agt audit verify --store /var/lib/agt/audit.db --public-key audit-public.pem --json`,
    )
    .action((options: VerifyOptions) => {
      const publicKeyPem = options.publicKey === undefined ? undefined : readPublicKey(options.publicKey);
      const db = openExistingStore(options.store);
      const progress = new ProgressBar('verifying');
      let result;
      try {
        result = verifySqliteStore(db, { ...(publicKeyPem ? { publicKeyPem } : {}), onProgress: (done, total) => progress.update(done, total) });
      } finally {
        progress.done();
        db.close();
      }
      if (options.json) process.stdout.write(JSON.stringify({ store: options.store, ...result }) + '\n');
      else {
        const color = useColor(process.stdout);
        if (result.ok) {
          process.stdout.write(`${paint('OK', 'green', color)}  ${options.store}: ${result.entries} entries, ${result.checkpoints} checkpoints verified\n`);
        } else {
          process.stdout.write(`${paint('TAMPERED', 'red', color)}  ${options.store}: ${result.reason}\n`);
          if (result.firstBadSeq !== null) process.stdout.write(`first bad sequence number: ${result.firstBadSeq}\n`);
          if (result.badCheckpoint !== null) process.stdout.write(`bad checkpoint: size ${result.badCheckpoint}\n`);
        }
      }
      if (!result.ok) process.exitCode = EXIT.failed;
    });
}

function readPublicKey(file: string): string {
  const text = readArgumentFile(file, 'public key', 64 * 1024);
  if (!text.includes('BEGIN PUBLIC KEY')) throw new UsageError(`${file} is not a PEM public key; export one with \`agt audit key > ${file}\``);
  return text;
}
