import type { Command } from 'commander';
import { verifyWitnessedStore } from '../audit/verify-witnessed.js';
import { isWitnessUrl } from '../audit/witness-read.js';
import { EXIT } from './errors.js';
import { paint, useColor } from './output.js';
import { ProgressBar } from './progress.js';
import { requireFileOrNothing } from './paths.js';
import { openExistingStore, storeOption } from './store.js';
import { readPublicKeyFile } from './keys.js';

interface VerifyOptions {
  store: string;
  publicKey?: string;
  witness: string[];
  json?: boolean;
}

/** `--witness` may be repeated; each adds one location. */
const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `agt audit verify`: re-checks every entry, link, Merkle root and checkpoint signature. */
export function registerAuditVerify(audit: Command): void {
  audit
    .command('verify')
    .description('verify the chain, the Merkle roots and the checkpoint signatures; name the first bad entry')
    .addOption(storeOption())
    .option('--public-key <file>', "verify checkpoints with this public key (PEM) instead of the one the store records")
    .option('--witness <file|url>', 'hold the store to the checkpoints this witness saw (repeatable; default $AGT_AUDIT_WITNESS, comma-separated), besides the witnesses the store records', collect, [])
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
Exits 0 when the log is intact, 1 when it is not (the first bad sequence number is printed).
Detects edited, deleted, inserted and swapped entries, a truncated tail (against the last
checkpoint), rewritten entries (against a checkpoint's Merkle root) and forged checkpoint
signatures, and a store that skipped its checkpoint cadence. Pass --public-key with a copy of
the key you keep elsewhere so that the check does not rely on the store itself.

A store alone cannot prove it is complete: a tail truncated together with its checkpoints, or
a chain rewritten and re-signed, agrees with itself. --witness (a file or http(s) URL a
witness keeps) holds it to the latest checkpoint published there: the key, the size, an RFC 9162
consistency proof, and every witnessed checkpoint. Without one, a warning says completeness
was not checked.

Examples:
  agt audit verify
  agt audit verify --witness /mnt/witness/audit-witness.jsonl
  agt audit verify --store /var/lib/agt/audit.db --public-key audit-public.pem --witness https://witness.example/agt --json`,
    )
    .action(async (options: VerifyOptions) => {
      const publicKeyPem = options.publicKey === undefined ? undefined : readPublicKeyFile(options.publicKey);
      const witnesses = options.witness.length > 0 ? options.witness : witnessesFromEnvironment();
      // A missing witness file is a finding (exit 1: it was never written, or was removed); a FIFO or device would hang the read.
      for (const location of witnesses) {
        if (!isWitnessUrl(location)) requireFileOrNothing(location, 'a witness file', 'pass --witness the file a FileWitness appends to, or an http(s) URL');
      }
      const db = openExistingStore(options.store);
      const progress = new ProgressBar('verifying');
      let result;
      try {
        result = await verifyWitnessedStore(db, { ...(publicKeyPem ? { publicKeyPem } : {}), witnesses, onProgress: (done, total) => progress.update(done, total) });
      } finally {
        progress.done();
        db.close();
      }
      if (options.json) process.stdout.write(JSON.stringify({ store: options.store, ...result }) + '\n');
      else {
        const color = useColor(process.stdout);
        if (result.ok) {
          const witnessed = result.witnessed ? `; complete up to checkpoint ${result.witnessed.size} (signed ${result.witnessed.timestamp}) held by ${result.witnessed.witnesses.length === 1 ? 'its witness' : `${result.witnessed.witnesses.length} witnesses`}` : '';
          process.stdout.write(`${paint('OK', 'green', color)}  ${options.store}: ${result.entries} entries, ${result.checkpoints} checkpoints verified${witnessed}\n`);
        } else {
          process.stdout.write(`${paint('TAMPERED', 'red', color)}  ${options.store}: ${result.reason}\n`);
          if (result.firstBadSeq !== null) process.stdout.write(`first bad sequence number: ${result.firstBadSeq}\n`);
          if (result.badCheckpoint !== null) process.stdout.write(`bad checkpoint: size ${result.badCheckpoint}\n`);
        }
        for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
      }
      if (!result.ok) process.exitCode = EXIT.failed;
    });
}

/** `$AGT_AUDIT_WITNESS`: witness locations, comma-separated. */
function witnessesFromEnvironment(): string[] {
  return (process.env.AGT_AUDIT_WITNESS ?? '').split(',').map((location) => location.trim()).filter((location) => location !== '');
}
