import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { isFailure, publicKeyOfDid, didKeyOf } from '../identity/did-key.js';
import { readAgentKeyFile, readPublicKeyFile, MAX_KEY_FILE_BYTES } from '../identity/key-file.js';
import { shownArgument } from './shown-argument.js';
import { UsageError } from './errors.js';
import { readArgumentFile } from './files.js';
import { pathKind } from './paths.js';

interface ShowOptions {
  json?: boolean;
  jwk?: boolean;
}

/** Where a shown key came from. */
type KeySource = 'did' | 'private-key-file' | 'public-key-file';

/** `agt identity show KEY_OR_DID`: the DID, key type and public JWK; never a private part. */
export function registerIdentityShow(identity: Command): void {
  identity
    .command('show')
    .description('show the DID, key type and public JWK of a key file or a did:key (never the private key)')
    .argument('<key-or-did>', 'a key file (private or public JWK) or a did:key')
    .option('--json', 'print { did, keyType, source, publicJwk }')
    .option('--jwk', 'print only the public JWK (to share, or to pass as --subject)')
    .addHelpText(
      'after',
      `
Examples:
  agt identity show agent.jwk
  agt identity show did:key:z6Mk...
  agt identity show agent.jwk --jwk > agent.pub.jwk`,
    )
    .action((keyOrDid: string, options: ShowOptions) => {
      const { key, source } = publicKeyOf(keyOrDid);
      const did = didKeyOf(key);
      const publicJwk = { kty: 'OKP', crv: 'Ed25519', x: key.export({ format: 'jwk' }).x as string };
      if (options.jwk) process.stdout.write(`${JSON.stringify(publicJwk)}\n`);
      else if (options.json) process.stdout.write(`${JSON.stringify({ did, keyType: 'Ed25519', source, publicJwk })}\n`);
      else {
        const from = source === 'did' ? 'the DID itself (did:key names its public key)' : source === 'private-key-file' ? `private key file ${keyOrDid} (only its public half is shown)` : `public key file ${keyOrDid}`;
        process.stdout.write(`did:        ${did}\nkey type:   Ed25519\nfrom:       ${from}\npublic JWK: ${JSON.stringify(publicJwk)}\n`);
      }
    });
}

/** The public key `value` names: a did:key, or a private or public JWK file (a private one is read with its permission checks). */
function publicKeyOf(value: string): { key: KeyObject; source: KeySource } {
  if (value.startsWith('did:')) {
    const key = publicKeyOfDid(value);
    if (isFailure(key)) throw new UsageError(`${key.message}; pass a did:key as 'agt identity new' prints it, or a key file`);
    return { key, source: 'did' };
  }
  const fix = 'pass a key file written by `agt identity new`, or a did:key';
  if (pathKind(value, fix) === 'missing') throw new UsageError(`${shownArgument(value, true)} is neither a did:key nor an existing file; ${fix}`);
  const text = readArgumentFile(value, 'key file', MAX_KEY_FILE_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UsageError(`${value} is not JSON; a key file holds one JWK object (${fix})`);
  }
  const isPrivate = typeof json === 'object' && json !== null && 'd' in json;
  const key = isPrivate ? readAgentKeyFile(value) : readPublicKeyFile(value);
  if (isFailure(key)) throw new UsageError(key.message);
  return isPrivate ? { key: (key as { publicKey: KeyObject }).publicKey, source: 'private-key-file' } : { key: key as KeyObject, source: 'public-key-file' };
}
