import type { Command } from 'commander';
import { issueCredential } from '../identity/credential.js';
import { formatCredentialFile } from '../identity/credential-file.js';
import { isFailure } from '../identity/did-key.js';
import { emitCredential } from './credential-output.js';
import { parseDurationSeconds } from './durations.js';
import { UsageError } from './errors.js';
import { integerOption, listOption, loadAgentKey, subjectDid } from './identity-files.js';

interface IssueOptions {
  issuer: string;
  subject: string;
  ring: string;
  roles: string;
  tools: string;
  trust: string;
  ttl: string;
  out?: string;
  json?: boolean;
}

/** `agt credential issue`: the issuer's signed statement of who an agent is and what it may do. */
export function registerCredentialIssue(credential: Command): void {
  credential
    .command('issue')
    .description('sign a credential for an agent with the issuer key: its ring, roles, tools, trust and lifetime')
    .requiredOption('--issuer <key.jwk>', "the issuer's private key file (a trusted issuer of the deployment)")
    .requiredOption('--subject <did>', "the agent's did:key (or its public JWK file)")
    .option('--ring <1-3>', 'privilege ring: 1 most privileged an agent can hold, 3 least; tools need ring 2 unless the policy says otherwise (ring 0 is never an agent\'s)', '2')
    .option('--roles <list>', 'comma-separated roles', '')
    .requiredOption('--tools <globs>', "comma-separated tool-name globs the agent may call, e.g. 'crm.*,search'")
    .option('--trust <0-1000>', 'trust ceiling (the most the agent is ever trusted)', '500')
    .requiredOption('--ttl <duration>', 'lifetime: 30s, 10m, 1h, 7d')
    .option('--out <file.cred>', 'the credential file to create (default: print it)')
    .option('--json', 'print what was issued as one JSON object')
    .addHelpText(
      'after',
      `
The credential file holds one JWT per line: this credential, then any delegation links
('agt credential delegate' appends them). Agents present it with every signed action
('agt identity sign'); the kernel builds the agent's ring, roles and trust from it alone.

Examples:
  agt credential issue --issuer keys/issuer.jwk --subject did:key:z6Mk... --ring 2 --roles support \\
    --tools 'crm.*,search' --trust 600 --ttl 1h --out agent.cred
  agt credential issue --issuer keys/issuer.jwk --subject agent.pub.jwk --tools search --ttl 10m --json`,
    )
    .action(async (options: IssueOptions) => {
      const grant = {
        subject: subjectDid(options.subject, '--subject'),
        ring: integerOption(options.ring, '--ring', 1, 3),
        roles: listOption(options.roles),
        tools: listOption(options.tools),
        trust: integerOption(options.trust, '--trust', 0, 1000),
        ttlSeconds: parseDurationSeconds(options.ttl, '--ttl'),
      };
      if (grant.tools.length === 0) throw new UsageError("--tools is empty; name the tools the agent may call, e.g. --tools 'crm.*,search'");
      const issuer = loadAgentKey(options.issuer, '--issuer');
      const issued = await issueCredential(issuer, grant);
      if (isFailure(issued)) throw new UsageError(`${issued.message}; check --tools, --roles, --ring and --trust`);
      const c = issued.claims;
      emitCredential(formatCredentialFile([issued.token]), { subject: c.sub, issuer: c.iss, jti: c.jti, ring: c.ring, roles: c.roles, tools: c.tools, trust: c.trust, exp: c.exp }, 0, options);
    });
}
