import { readArgumentFile } from './files.js';
import { readPublicKeyFile } from './keys.js';
import type { Command } from 'commander';
import { checkProof, proveConsistency, proveInclusion, type ConsistencyProofDocument, type InclusionProofDocument } from '../audit/proofs.js';
import { CheckFailed, EXIT, UsageError } from './errors.js';
import { paint, useColor } from './output.js';
import { openExistingStore, storeOption } from './store.js';
import { describeError } from '../core/errors.js';

const wholeNumber = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`expected a sequence number or size (1 or more), got ${JSON.stringify(value)}`);
  return Number(value);
};

/** `agt audit prove` and `agt audit check-proof`: Merkle proofs an auditor checks with the public key alone. */
export function registerAuditProve(audit: Command): void {
  audit
    .command('prove')
    .description('print an inclusion proof for an entry (or a consistency proof between checkpoints) as JSON')
    .argument('[seq]', 'the entry to prove', wholeNumber)
    .addOption(storeOption())
    .option('--size <n>', 'prove against the checkpoint of this size (default: the latest)', wholeNumber)
    .option('--consistency <old-size>', 'instead: prove the latest checkpoint (or --size) extends the checkpoint of <old-size>', wholeNumber)
    .addHelpText('after', `
The proof is a self-contained JSON document: the entry, the signed checkpoint {size, root,
timestamp, signature} and the RFC 9162 audit path. Anyone with the log's public key checks it
with \`agt audit check-proof\` (no access to the store needed).

Examples:
  agt audit prove 42 > proof-42.json
  agt audit key > audit-public.pem && agt audit check-proof proof-42.json --public-key audit-public.pem
  agt audit prove --consistency 1000 > grew.json`)
    .action((seq: number | undefined, options: { store: string; size?: number; consistency?: number }) => {
      if ((seq === undefined) === (options.consistency === undefined)) throw new UsageError('give an entry to prove (agt audit prove 42) or --consistency <old-size>, not both');
      const db = openExistingStore(options.store);
      let document: InclusionProofDocument | ConsistencyProofDocument;
      try {
        document = seq !== undefined ? proveInclusion(db, seq, options.size) : proveConsistency(db, options.consistency as number, options.size);
      } catch (error) {
        throw new CheckFailed(describeError(error));
      } finally {
        db.close();
      }
      process.stdout.write(JSON.stringify(document, null, 2) + '\n');
    });

  audit
    .command('check-proof')
    .description('check a proof document with the public key alone')
    .argument('<file>', 'a proof written by `agt audit prove`')
    .requiredOption('--public-key <file>', 'the log\'s public key (PEM), from `agt audit key`')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `
Exits 0 when the proof holds, 1 when it does not.

Examples:
  agt audit check-proof proof-42.json --public-key audit-public.pem`)
    .action((file: string, options: { publicKey: string; json?: boolean }) => {
      const publicKey = readPublicKeyFile(options.publicKey);
      let document: unknown;
      try {
        document = JSON.parse(readArgumentFile(file, 'proof'));
      } catch (error) {
        if (error instanceof UsageError) throw error;
        throw new UsageError(`${file} is not JSON: ${describeError(error)}`);
      }
      const check = checkProof(document, publicKey);
      if (options.json) process.stdout.write(JSON.stringify(check) + '\n');
      else {
        const color = useColor(process.stdout);
        process.stdout.write(check.ok ? `${paint('VALID', 'green', color)}  ${check.detail}\n` : `${paint('INVALID', 'red', color)}  ${check.reason}\n`);
      }
      if (!check.ok) process.exitCode = EXIT.failed;
    });
}
