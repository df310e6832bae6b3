import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { configFlagOf } from './config.js';
import { deploymentOf } from './identity-deployment.js';
import { jsonErrorColumn } from './json-position.js';
import { decisionJson, decisionText, DeploymentDecider } from './policy-eval-deployment.js';
import { formatIssue } from '../core/errors.js';
import { formatDecisionLine, useColor } from './output.js';
import { UsageError } from './errors.js';
import { requireReadableFile } from './paths.js';
import { formatExplanation } from './explanation-output.js';

interface EvalOptions {
  policy?: string;
  config?: string;
  input?: string;
  inputs?: string;
  json?: boolean;
  explain?: boolean;
}

/** `agt policy eval`: decide requests against a policy, in order, in one process. */
export function registerPolicyEval(policy: Command): void {
  policy
    .command('eval')
    .description('evaluate requests against a policy and print one decision per request')
    .option('--policy <file-or-dir>', "policy file or directory of policies (default: the deployment's policy)")
    .option('--config <file>', 'decide in this deployment: identity proofs verified, replays caught (default: $AGT_CONFIG, else ./agt.config.yaml when present)')
    .option('--input <json>', 'one request as JSON')
    .option('--inputs <file.jsonl>', 'a file of requests, one JSON object per line ("-" for stdin, e.g. from a pipe)')
    .option('--json', 'print each decision as one line of JSON')
    .option('--explain', 'show how each decision was reached: rules considered, condition values, the strategy\'s choice')
    .addHelpText(
      'after',
      `
Requests are evaluated in order in one process, so rate limits apply across them.
A line that is not a valid request gets a deny decision (runtime_error:invalid_request) naming
its line, and the lines after it are still decided.

In a deployment (--config, or ./agt.config.yaml when present) one kernel built from it decides
every line: each request's "proof" (as 'agt identity sign' attaches it) is verified against the
trusted issuers, the revocation list and the shared replay cache, so a line that repeats an
earlier signed request is denied identity:replayed, and a revoked agent identity:revoked.
Decisions then carry the verified identity ("line" and "identity" in --json) and are not
written to the audit log.
--explain prints a tree under each decision (with --json, an "explanation" field on each
line); the decisions, and the rate-limit counting, are the same as without it.

Examples:
  agt policy eval --policy policy.yaml --input '{"tool_name":"db","action":{"type":"drop"}}'
  agt policy eval --policy policies/ --inputs requests.jsonl --json
  agt policy eval --policy policy.yaml --input '{"tool_name":"db","action":"drop"}' --explain
  agt policy eval --config agt.config.yaml --inputs signed.jsonl --json`,
    )
    .action(async (options: EvalOptions, command: Command) => {
      if ((options.input === undefined) === (options.inputs === undefined)) {
        throw new UsageError('give exactly one of --input <json> or --inputs <file.jsonl>');
      }
      // --config may be given on the program (`agt --config F policy eval`) or here: read both.
      const deployment = options.explain && configFlagOf(command) === undefined ? null : deploymentOf(command);
      if (deployment !== null && deployment.file !== null) {
        if (options.explain) throw new UsageError('--explain shows the policy alone and verifies no identity; drop --config to explain a request');
        await evalInDeployment(new DeploymentDecider(deployment, options.policy), options);
        return;
      }
      if (options.policy === undefined) throw new UsageError('no policy to decide with: pass --policy <file-or-dir>, or --config with a deployment file that names one');
      const [{ loadPolicies, evaluateWithLimits, explainWithLimits }, { RateLimiter }] = await Promise.all([import('../policy/index.js'), import('../reliability/rate-limits.js')]);
      const evaluator = loadPolicies(options.policy);
      // Rate limits are applied after each decision, as the kernel's limits step does.
      const limiter = new RateLimiter();
      for (const warning of evaluator.warnings) process.stderr.write(formatIssue(warning) + '\n');
      const color = useColor(process.stdout);
      const print = (line: string, lineNumber: number) => {
        const request = parseRequest(line, lineNumber);
        if (options.explain) {
          // explain instead of evaluate, never both: each call is counted against rate limits once.
          const { decision, explanation } = request.ok ? explainWithLimits(evaluator, limiter, request.value) : evaluator.explainInvalid(`not valid JSON ${request.error}`);
          const text = options.json ? JSON.stringify({ ...decision, explanation }) : `${formatDecisionLine(decision, color)}\n${formatExplanation(explanation, color)}`;
          process.stdout.write(text + '\n');
          return;
        }
        const decision = request.ok ? evaluateWithLimits(evaluator, limiter, request.value) : evaluator.rejectInvalid(`not valid JSON ${request.error}`);
        process.stdout.write((options.json ? JSON.stringify(decision) : formatDecisionLine(decision, color)) + '\n');
      };
      for await (const [line, lineNumber] of requestLines(options)) print(line, lineNumber);
    });
}

/** Every line of a deployment's requests decided in order by one kernel, printed as it is decided. */
async function evalInDeployment(decider: DeploymentDecider, options: EvalOptions): Promise<void> {
  try {
    for (const warning of decider.warnings) process.stderr.write(formatIssue(warning) + '\n');
    const color = useColor(process.stdout);
    for await (const [line, lineNumber] of requestLines(options)) {
      const decision = await decider.decide(line, lineNumber);
      process.stdout.write((options.json ? decisionJson(decision, lineNumber) : decisionText(decision, lineNumber, color)) + '\n');
    }
  } finally {
    decider.close();
  }
}

/** The non-blank request lines of --input (line 1) or --inputs, with their line numbers. */
async function* requestLines(options: EvalOptions): AsyncGenerator<[string, number]> {
  if (options.input !== undefined) {
    yield [options.input, 1];
    return;
  }
  // A FIFO would block the open, a device would read without end: stdin (`--inputs -`) is the way to stream.
  if (options.inputs !== '-') requireReadableFile(options.inputs as string, 'a file of requests', 'pass a JSONL file, or `--inputs -` and the requests on stdin');
  const stream = options.inputs === '-' ? process.stdin : createReadStream(options.inputs as string, 'utf8');
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('error', (error: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot read ${options.inputs}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`)),
    );
    stream.once('readable', () => resolve());
    stream.once('end', () => resolve());
  });
  await opened;
  let lineNumber = 0;
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    lineNumber++;
    if (line.trim() !== '') yield [line, lineNumber];
  }
}

/** JSON text → request, or why it is not JSON (naming the line, so a batch's bad line can be found). */
function parseRequest(text: string, lineNumber: number): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: `(line ${lineNumber}${jsonErrorColumn(error)})` };
  }
}

