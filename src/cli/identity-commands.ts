import type { Command } from 'commander';
import { registerCredentialDelegate } from './credential-delegate.js';
import { registerCredentialIssue } from './credential-issue.js';
import { registerIdentityNew } from './identity-new.js';
import { registerIdentityRevoke } from './identity-revoke.js';
import { registerIdentityShow } from './identity-show.js';
import { registerIdentitySign } from './identity-sign.js';

/** `agt identity ...` and `agt credential ...`: agent keys, credentials, signed requests, revocation. */
export function registerIdentityCommands(program: Command): void {
  const identity = program
    .command('identity')
    .description('agent keys (did:key), signed requests and revocation')
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  agt identity new --out agent.jwk                                  prints the agent's DID
  agt identity show agent.jwk
  agt identity sign --key agent.jwk --credential agent.cred --input request.json
  agt identity revoke did:key:z6Mk...`,
    );
  registerIdentityNew(identity);
  registerIdentityShow(identity);
  registerIdentitySign(identity);
  registerIdentityRevoke(identity);

  const credential = program
    .command('credential')
    .description('issue credentials to agents and delegate narrower ones')
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples:
  agt credential issue --issuer keys/issuer.jwk --subject DID --ring 2 --roles support \\
    --tools 'crm.*,search' --trust 600 --ttl 1h --out agent.cred
  agt credential delegate --key agent.jwk --credential agent.cred --subject CHILD_DID \\
    --tools 'crm.read' --ttl 10m --out child.cred`,
    );
  registerCredentialIssue(credential);
  registerCredentialDelegate(credential);
}
