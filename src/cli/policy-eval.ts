import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { formatIssue } from '../core/errors.js';
import { formatDecisionLine, useColor } from './output.js';
import { UsageError } from './errors.js';
import { requireReadableFile } from './paths.js';
import { formatExplanation } from './explanation-output.js';

interface EvalOptions {
  policy: string;
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
    .requiredOption('--policy <file-or-dir>', 'policy file or directory of policies')
    .option('--input <json>', 'one request as JSON')
    .option('--inputs <file.jsonl>', 'a file of requests, one JSON object per line ("-" for stdin, e.g. from a pipe)')
    .option('--json', 'print each decision as one line of JSON')
    .option('--explain', 'show how each decision was reached: rules considered, condition values, the strategy\'s choice')
    .addHelpText(
      'after',
      `
Requests are evaluated in order in one process, so rate limits apply across them.
A line that is not a valid request gets a deny decision (runtime_error:invalid_request).
--explain prints a tree under each decision (with --json, an "explanation" field on each
line); the decisions, and the rate-limit counting, are the same as without it.

Examples:
  agt policy eval --policy policy.yaml --input '{"tool_name":"db","action":{"type":"drop"}}'
  agt policy eval --policy policies/ --inputs requests.jsonl --json
  agt policy eval --policy policy.yaml --input '{"tool_name":"db","action":"drop"}' --explain`,
    )
    .action(async (options: EvalOptions) => {
      if ((options.input === undefined) === (options.inputs === undefined)) {
        throw new UsageError('give exactly one of --input <json> or --inputs <file.jsonl>');
      }
      const [{ loadPolicies, evaluateWithLimits, explainWithLimits }, { RateLimiter }] = await Promise.all([import('../policy/index.js'), import('../reliability/rate-limits.js')]);
      const evaluator = loadPolicies(options.policy);
      // Rate limits are applied after each decision, as the kernel's limits step does.
      const limiter = new RateLimiter();
      for (const warning of evaluator.warnings) process.stderr.write(formatIssue(warning) + '\n');
      const color = useColor(process.stdout);
      const print = (line: string) => {
        const request = parseRequest(line);
        if (options.explain) {
          // explain instead of evaluate, never both: each call is counted against rate limits once.
          const { decision, explanation } = request.ok ? explainWithLimits(evaluator, limiter, request.value) : evaluator.explainInvalid(`not valid JSON: ${request.error}`);
          const text = options.json ? JSON.stringify({ ...decision, explanation }) : `${formatDecisionLine(decision, color)}\n${formatExplanation(explanation, color)}`;
          process.stdout.write(text + '\n');
          return;
        }
        const decision = request.ok ? evaluateWithLimits(evaluator, limiter, request.value) : evaluator.rejectInvalid(`not valid JSON: ${request.error}`);
        process.stdout.write((options.json ? JSON.stringify(decision) : formatDecisionLine(decision, color)) + '\n');
      };
      if (options.input !== undefined) {
        print(options.input);
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
      for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
        if (line.trim() !== '') print(line);
      }
    });
}

/** JSON text → request, or why it is not JSON. */
function parseRequest(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
