import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { describeError } from '../core/errors.js';
import { isFailure } from '../identity/did-key.js';
import { RevocationList } from '../identity/revocation.js';
import { SqliteRevocationStore } from '../state/sqlite-revocation-store.js';
import { UsageError } from './errors.js';
import { identityDeployment } from './identity-deployment.js';
import { readHead, requireFileOrNothing } from './paths.js';

interface RevokeOptions {
  json?: boolean;
}

const STATE_FIX = 'set state.path in agt.config.yaml to an agt state store (a SQLite file; it is made when missing)';
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** `agt identity revoke DID_OR_JTI`: recorded in the shared state store; every process denies the next action. */
export function registerIdentityRevoke(identity: Command): void {
  identity
    .command('revoke')
    .description("revoke an agent's DID (or an issuer's) or one credential id (jti): its next action is denied, in every process")
    .argument('<did-or-jti>', 'a did:key, or the jti of a credential or delegation link')
    .option('--config <file>', 'the deployment file (default: $AGT_CONFIG, else ./agt.config.yaml when present)')
    .option('--json', 'print { id, revokedAt, alreadyRevoked, store }')
    .addHelpText(
      'after',
      `
The revocation is written to the deployment's state store (state.path in agt.config.yaml,
default .agt/state.db), which every governed process on the machine reads before each action:
the very next action of a revoked agent, or under a revoked credential or any credential
delegated from it, is denied identity:revoked. There is no un-revoke: issue a new key or
credential instead. Revoking an id twice is harmless and says so.

Examples:
  agt identity revoke did:key:z6Mk...
  agt identity revoke 0aXh3n2c5aU1sYyOZb1DGw --json`,
    )
    .action((id: string, options: RevokeOptions, command: Command) => {
      const { statePath } = identityDeployment(command);
      const store = openStateStore(statePath);
      try {
        const list = new RevocationList(store);
        const previous = list.list().find((entry) => entry.id === id);
        const entry = previous ?? list.revoke(id);
        if (isFailure(entry)) throw new UsageError(`${entry.message}; pass a did:key or a credential's jti`);
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
