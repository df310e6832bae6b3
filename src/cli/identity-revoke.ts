import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { describeError } from '../core/errors.js';
import { isFailure } from '../identity/did-key.js';
import { revocableId, RevocationList } from '../identity/revocation.js';
import { SqliteRevocationStore } from '../state/sqlite-revocation-store.js';
import { UsageError } from './errors.js';
import { identityDeployment } from './identity-deployment.js';
import { readHead, requireFileOrNothing } from './paths.js';

interface RevokeOptions {
  json?: boolean;
}

const STATE_FIX = 'set state.path in agt.config.yaml to an agt state store (a SQLite file; it is made when missing)';
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** `agt identity revoke ID`: recorded in the shared state store; every process denies the next action, whatever its proof kind. */
export function registerIdentityRevoke(identity: Command): void {
  identity
    .command('revoke')
    .description("revoke an agent (DID, SPIFFE ID, OIDC subject), an issuer or one credential (jti, certificate fingerprint): its next action is denied, in every process")
    .argument('<id>', 'a did:key, a SPIFFE ID, a jti, an OIDC subject or issuer, or an X.509-SVID fingerprint')
    .option('--config <file>', 'the deployment file (default: $AGT_CONFIG, else ./agt.config.yaml when present)')
    .option('--json', 'print { id, revokedAt, alreadyRevoked, store }')
    .addHelpText(
      'after',
      `
The revocation is written to the deployment's state store (state.path in agt.config.yaml,
default .agt/state.db), which every governed process on the machine reads before each action:
the very next action of a revoked agent, or under a revoked credential or any credential
delegated from it, is denied identity:revoked, whatever the proof (signed envelope, session
MAC, OIDC/Entra bearer JWT, X.509-SVID, JWT-SVID). There is no un-revoke: issue a new key or
credential instead. Revoking an id twice is harmless and says so.

What an id revokes:
  did:key:z6Mk...                 an agent, a delegate, or an issuer (and all it vouched for)
  spiffe://example.org/ns/a/sa/b  a SPIFFE workload (X.509-SVIDs and JWT-SVIDs)
  spiffe://example.org            every workload of a trust domain
  0aXh3n2c5aU1sYyOZb1DGw          a jti: one credential, delegation link or token
  <sub>                           an OIDC/Entra subject (the claim identity.oidc maps, default sub)
  https://issuer.example          every token of an OIDC issuer
  <SHA-256 fingerprint>           one X.509-SVID certificate (hex, with or without colons)
An id is 1-512 visible ASCII characters; anything else (other DID methods, a malformed
did:key or SPIFFE ID, spaces) is refused.

Examples:
  agt identity revoke did:key:z6Mk...
  agt identity revoke spiffe://example.org/ns/prod/sa/billing
  agt identity revoke 0f4c8e6a-5d1b-4c52-9a7e-3b2f1d0c9e8a --json
  agt identity revoke -- -aXh3n2c5aU1sYyOZb1DGw     an id that begins with '-' goes after --`,
    )
    .action((given: string, options: RevokeOptions, command: Command) => {
      const id = revocableId(given);
      if (isFailure(id)) throw new UsageError(`${id.message}; pass a did:key, a SPIFFE ID, or a jti, OIDC subject or certificate fingerprint (see --help)`);
      if (!id.includes(':') && existsSync(given)) throw new UsageError(`${given} is a file; pass the id itself (agt identity show prints a key's DID; agt credential issue and delegate print the credential's jti)`);
      const { statePath } = identityDeployment(command);
      const store = openStateStore(statePath);
      try {
        const list = new RevocationList(store);
        const previous = list.list().find((entry) => entry.id === id);
        const entry = previous ?? list.revoke(id);
        if (isFailure(entry)) throw new UsageError(entry.message);
        const result = { id, revokedAt: new Date(entry.revokedAt).toISOString(), alreadyRevoked: previous !== undefined, store: statePath };
        if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else if (previous) process.stdout.write(`${id} was already revoked (since ${result.revokedAt}); nothing changed\n`);
        else process.stdout.write(`revoked ${id} in ${statePath}; its next action is denied (identity:revoked)\n`);
      } finally {
        store.close();
      }
    });
}

/** The state store at `path`, made when missing; anything there that is not a SQLite file is refused, never overwritten. */
function openStateStore(path: string): SqliteRevocationStore {
  if (requireFileOrNothing(path, 'a state store', STATE_FIX)) {
    const head = readHead(path, SQLITE_HEADER.length, STATE_FIX);
    if (head.length > 0 && !head.equals(SQLITE_HEADER)) throw new UsageError(`${path} is not an SQLite database, so not an agt state store; ${STATE_FIX}`);
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    return new SqliteRevocationStore(path);
  } catch (error) {
    throw new UsageError(`cannot open the state store ${path}: ${describeError(error).split('\n')[0]}; ${STATE_FIX}`);
  }
}
