import type { Command } from 'commander';
import { generateAgentKey } from '../identity/agent-key.js';
import { isFailure } from '../identity/did-key.js';
import { writeAgentKeyFile } from '../identity/key-file.js';
import { UsageError } from './errors.js';

interface NewOptions {
  out: string;
  json?: boolean;
}

/** `agt identity new --out FILE`: a fresh Ed25519 key in a new 0600 JWK file; prints its DID. */
export function registerIdentityNew(identity: Command): void {
  identity
    .command('new')
    .description('make a new agent (or issuer) key: an Ed25519 JWK file, mode 0600; prints its did:key')
    .requiredOption('--out <file.jwk>', 'the key file to create (never overwritten)')
    .option('--json', 'print { did, out, publicJwk }')
    .addHelpText(
      'after',
      `
The private key goes to the file only (created exclusively, readable by you alone) and is never
printed. The DID printed is the agent's identifier: it names the public key, so anyone can check
the agent's signatures from the DID alone.

Examples:
  agt identity new --out agent.jwk
  DID=$(agt identity new --out agent.jwk)
  agt identity new --out keys/root.jwk --json`,
    )
    .action((options: NewOptions) => {
      const key = generateAgentKey();
      const written = writeAgentKeyFile(options.out, key);
      if (isFailure(written)) throw new UsageError(`--out: ${written.message}`);
      process.stdout.write(options.json ? `${JSON.stringify({ did: key.did, out: options.out, publicJwk: key.publicJwk() })}\n` : `${key.did}\n`);
    });
}
