import type { Command } from 'commander';
import { argsDigestOf } from '../identity/action-binding.js';
import { envelopeCredentialOf, unverifiedAuthorityOf } from '../identity/credential-file.js';
import { signEnvelope } from '../identity/envelope-sign.js';
import { parseStage } from '../core/request.js';
import { UsageError } from './errors.js';
import { readArgumentFile } from './files.js';
import { identityDeployment } from './identity-deployment.js';
import { loadAgentKey, loadCredentialChain } from './identity-files.js';
import { readRequests } from './signing-input.js';

interface SignOptions {
  key: string;
  credential: string;
  input: string;
  aud?: string;
  stage?: string;
  json?: boolean;
}

/** Most bytes of requests one run signs (as `policy eval` reads them). */
const MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** `agt identity sign`: attach a signed envelope, over exactly that action, to each request. */
export function registerIdentitySign(identity: Command): void {
  identity
    .command('sign')
    .description('sign requests as an agent: each gets proof { kind: "envelope", envelope } over its tool, stage and arguments')
    .requiredOption('--key <agent.jwk>', "the agent's private key file")
    .requiredOption('--credential <agent.cred>', "the agent's credential file (issued or delegated)")
    .requiredOption('--input <file>', 'a request as JSON, or JSONL (one request per line); "-" for stdin')
    .option('--aud <audience>', "the verifier's audience (default: identity.audience of agt.config.yaml)")
    .option('--config <file>', 'the deployment file (default: $AGT_CONFIG, else ./agt.config.yaml when present)')
    .option('--stage <point>', 'the intervention point for requests that name none (default pre_tool)')
    .option('--json', 'accepted for symmetry: the output is always JSON, one request per line')
    .addHelpText(
      'after',
      `
Each request (the shape 'agt policy eval' takes: tool_name, args, ...) is printed back with
  "proof": { "kind": "envelope", "envelope": { tool, stage, argsDigest, did, nonce, iat, aud, sig, credential } }
signed over exactly its tool, stage and the SHA-256 of its arguments' canonical JSON, with a
fresh 128-bit nonce: change an argument, or present it twice, and it is refused. An envelope is
fresh for 60 s by default, so decide it soon after signing. A request already carrying a proof
gets a new one.

Examples:
  agt identity sign --key agent.jwk --credential agent.cred --input request.json
  agt identity sign --key agent.jwk --credential agent.cred --input requests.jsonl > signed.jsonl
  echo '{"tool_name":"crm.read","args":{"id":7}}' | agt identity sign --key agent.jwk --credential agent.cred --input - --aud agt://demo`,
    )
    .action(async (options: SignOptions, command: Command) => {
      const audience = options.aud ?? identityDeployment(command).audience;
      if (audience === undefined || audience === '') {
        throw new UsageError("no audience to address the envelope to: pass --aud, or run where agt.config.yaml sets identity.audience ('agt init' writes one)");
      }
      const defaultStage = options.stage === undefined ? 'pre_tool' : checkedStage(options.stage, '--stage');
      const key = loadAgentKey(options.key, '--key');
      const chain = loadCredentialChain(options.credential, '--credential');
      const holder = unverifiedAuthorityOf(chain);
      if (holder === null) throw new UsageError(`--credential: ${options.credential} does not hold readable credential claims; use a file written by 'agt credential issue' or 'agt credential delegate'`);
      if (holder.subject !== key.did) {
        throw new UsageError(`--credential names ${holder.subject} as its holder, not ${key.did} (the DID of --key); sign with the key the credential was issued to`);
      }
      if (holder.exp * 1000 <= Date.now()) throw new UsageError(`--credential: the credential expired at ${new Date(holder.exp * 1000).toISOString()}; issue a new one`);
      const where = options.input === '-' ? 'stdin' : options.input;
      const text = options.input === '-' ? await readStdin(MAX_INPUT_BYTES) : readArgumentFile(options.input, 'requests', MAX_INPUT_BYTES);
      const { requests } = readRequests(text, where);
      const credential = envelopeCredentialOf(chain);
      const out: string[] = [];
      for (const { line, request } of requests) {
        const stage = request.stage === undefined ? defaultStage : checkedStage(request.stage, `${where}:${line}: stage`);
        let argsDigest: string;
        try {
          argsDigest = argsDigestOf(request.args);
        } catch {
          throw new UsageError(`${where}:${line}: the args cannot be canonicalized as JSON`);
        }
        const envelope = signEnvelope(key.privateKey, { tool: request.tool_name as string, stage, argsDigest }, { aud: audience, credential });
        const { proof: _replaced, ...rest } = request;
        out.push(JSON.stringify({ ...rest, ...(request.stage === undefined && options.stage !== undefined ? { stage } : {}), proof: { kind: 'envelope', envelope } }));
      }
      process.stdout.write(out.join('\n') + '\n');
    });
}

/** A stage name as the kernel normalizes it (`pre_tool_call` → `pre_tool`), or a usage error naming where it came from. */
function checkedStage(value: unknown, where: string): string {
  const stage = parseStage(value);
  if (stage === undefined) throw new UsageError(`${where} is not an intervention point; use pre_tool, post_tool, input, output, ...`);
  return stage;
}

/** Standard input as UTF-8 text, refused past `limit` bytes rather than buffered without end. */
async function readStdin(limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new UsageError(`stdin holds more than ${limit} bytes of requests; sign them in smaller batches`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
