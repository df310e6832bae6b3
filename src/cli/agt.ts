#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { PolicyLoadError } from '../core/errors.js';
import { CheckFailed, EXIT, UsageError } from './errors.js';
import { registerLintPolicy } from './lint-policy.js';
import { registerPolicyEval } from './policy-eval.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('agt')
  .description('Agent Governance Toolkit: policy, audit and checks for governed AI agents')
  .version(version)
  .showSuggestionAfterError(true)
  .exitOverride()
  .addHelpText(
    'after',
    `
Exit codes:
  0   success
  1   a check failed (e.g. lint found errors, a policy test or verification failed)
  2   usage or policy error (bad flags, a policy that does not load)
  70  internal error (a bug: please report it)`,
  );

const policy = program.command('policy').description('evaluate and test policies').exitOverride();
registerPolicyEval(policy);
registerLintPolicy(program);

// A reader that goes away (`agt ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CheckFailed) return EXIT.failed;
    if (error instanceof CommanderError) {
      // help and version exit 0; commander already printed usage errors
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof PolicyLoadError) {
      process.stderr.write(error.message.split('\n').map((line) => `error: ${line}`).join('\n') + '\n');
      return EXIT.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`internal error: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT.internal;
  }
}

process.exitCode = await main();
