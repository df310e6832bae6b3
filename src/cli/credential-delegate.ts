import type { Command } from 'commander';
import { formatCredentialFile, unverifiedAuthorityOf } from '../identity/credential-file.js';
import { delegate, DEFAULT_MAX_DELEGATION_DEPTH } from '../identity/delegation.js';
import { isFailure } from '../identity/did-key.js';
import { emitCredential } from './credential-output.js';
import { formatDurationAtMost, parseDurationSeconds } from './durations.js';
import { UsageError } from './errors.js';
import { integerOption, listOption, loadAgentKey, loadCredentialChain, subjectDid } from './identity-files.js';

interface DelegateOptions {
  key: string;
  credential: string;
  subject: string;
  tools: string;
  roles?: string;
  ring?: string;
  trust?: string;
  ttl: string;
  out?: string;
  json?: boolean;
}

/** `agt credential delegate`: hand a narrower part of a credential's authority to another agent. */
export function registerCredentialDelegate(credential: Command): void {
  credential
    .command('delegate')
    .description("hand part of an agent's authority to another agent: a signed link that only narrows it")
    .requiredOption('--key <parent.jwk>', "the delegating agent's private key (the subject of --credential)")
    .requiredOption('--credential <parent.cred>', "the delegating agent's credential file")
    .requiredOption('--subject <did>', "the receiving agent's did:key (or its public JWK file)")
    .requiredOption('--tools <globs>', "comma-separated tool globs, within the parent's tools")
    .option('--roles <list>', "comma-separated roles, among the parent's (default: the parent's)")
    .option('--ring <1-3>', "privilege ring, the parent's or less privileged (default: the parent's)")
    .option('--trust <0-1000>', "trust ceiling, at most the parent's (default: the parent's)")
    .requiredOption('--ttl <duration>', "lifetime: 30s, 10m, 1h; never past the parent's expiry")
    .option('--out <child.cred>', 'the credential file to create (default: print it)')
    .option('--json', 'print what was delegated as one JSON object')
    .addHelpText(
      'after',
      `
Delegation only attenuates: tools a subset, roles a subset, ring no more privileged, trust no
higher, expiry no later than the parent's. A grant that would widen any of them is refused here,
and would be refused by every verifier. The child's file is the parent's chain plus one line.

Examples:
  agt credential delegate --key agent.jwk --credential agent.cred --subject did:key:z6Mk... \\
    --tools 'crm.read' --ttl 10m --out child.cred
  agt credential delegate --key agent.jwk --credential agent.cred --subject child.pub.jwk --tools search --ring 3 --ttl 5m --json`,
    )
    .action(async (options: DelegateOptions) => {
      const chain = loadCredentialChain(options.credential, '--credential');
      const parent = unverifiedAuthorityOf(chain);
      if (parent === null) throw new UsageError(`--credential: ${options.credential} does not hold readable credential claims; use a file written by 'agt credential issue' or 'agt credential delegate'`);
      if (chain.length - 1 >= DEFAULT_MAX_DELEGATION_DEPTH) {
        throw new UsageError(`--credential: ${options.credential} already has ${chain.length - 1} delegation links, the most a verifier accepts; delegate from a shorter chain`);
      }
      const ttlSeconds = parseDurationSeconds(options.ttl, '--ttl');
      const left = parent.exp - Math.floor(Date.now() / 1000);
      if (left <= 0) throw new UsageError(`--credential: the parent credential expired at ${new Date(parent.exp * 1000).toISOString()}; ask its issuer for a new one`);
      if (ttlSeconds > left) {
        throw new UsageError(`--ttl ${options.ttl} outlives the parent credential, which expires in ${formatDurationAtMost(left)}; delegation only narrows authority: give --ttl ${formatDurationAtMost(left)} or less`);
      }
      const grant = {
        subject: subjectDid(options.subject, '--subject'),
        tools: listOption(options.tools),
        ttlSeconds,
        ...(options.roles !== undefined ? { roles: listOption(options.roles) } : {}),
        ...(options.ring !== undefined ? { ring: integerOption(options.ring, '--ring', 1, 3) } : {}),
        ...(options.trust !== undefined ? { trust: integerOption(options.trust, '--trust', 0, 1000) } : {}),
      };
      if (grant.tools.length === 0) throw new UsageError("--tools is empty; name the tools the child may call, within the parent's");
      const key = loadAgentKey(options.key, '--key');
      const delegated = await delegate(key, chain, grant);
      if (isFailure(delegated)) throw new UsageError(`${delegated.message}; ${fixFor(delegated.message, parent)}`);
      const child = unverifiedAuthorityOf(delegated.chain);
      if (child === null) throw new Error('a link just signed does not read back');
      emitCredential(formatCredentialFile(delegated.chain), child, delegated.chain.length - 1, options);
    });
}

/** What to change, given the library's reason and the parent's grant (the user's own file, so safe to show). */
function fixFor(message: string, parent: NonNullable<ReturnType<typeof unverifiedAuthorityOf>>): string {
  if (message.includes('tool glob')) return `--tools must stay within the parent's tools (${parent.tools.join(', ')})`;
  if (message.includes('role')) return `--roles must be among the parent's roles (${parent.roles.join(', ') || 'none'})`;
  if (message.includes('ring')) return `--ring must be ${parent.ring} or higher (less privileged)`;
  if (message.includes('trust')) return `--trust must be at most ${parent.trust}`;
  if (message.includes("parent credential's subject")) return `--key must be the key of ${parent.subject}`;
  return 'check the options against the parent credential';
}
