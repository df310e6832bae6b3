#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeError, PolicyLoadError } from '../core/errors.js';
import { registerAgentCommands } from './agent-lifecycle.js';
import { registerAuditExport } from './audit-export.js';
import { registerAuditProve } from './audit-prove.js';
import { registerAuditStats } from './audit-stats.js';
import { registerAuditTail } from './audit-tail.js';
import { registerAuditVerify } from './audit-verify.js';
import { registerDemo } from './demo.js';
import { registerDoctor } from './doctor.js';
import { CheckFailed, EXIT, ReportedFailure, UsageError } from './errors.js';
import { withoutSecretArguments } from './shown-argument.js';
import { registerIdentityCommands } from './identity-commands.js';
import { registerInit } from './init.js';
import { registerConfigOption } from './config.js';
import { DeploymentConfigError } from '../config/config-error.js';
import { registerLintPolicy } from './lint-policy.js';
import { registerPolicyEval } from './policy-eval.js';
import { registerPolicyTest } from './policy-test.js';
import { registerSandboxRun } from './sandbox-run.js';
import { registerScanCode } from './scan-code.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('agt')
  .description('Agent Governance Toolkit: policy, audit and checks for governed AI agents')
  .version(version)
  .showSuggestionAfterError(true)
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  agt demo                                   watch a governed agent; its audit goes to .agt/audit.db
  agt init --template sql-agent              scaffold policies/ from a template
  agt policy test policies                   run the policy's test cases
  agt lint-policy policies --strict          find mistakes before they reach production
  agt audit verify                           prove the audit log has not been tampered with
  agt identity new --out agent.jwk           make an agent key; prints its did:key
  agt agent kill did:key:z6Mk...             stop an agent: its next call is denied, in every process
  agt doctor                                 check this machine and project
  agt sandbox run -- python3 -c 'print(1)'   run a command in the sandbox
  agt scan code src/                         find eval, shell injection, secrets, ungoverned tools

Exit codes:
  0   success
  1   a check failed (e.g. lint found errors, a policy test or verification failed)
  2   usage or policy error (bad flags, a policy or agt.config.yaml that does not
      load, a path that is missing or not the kind of file the option takes)
  3   agt sandbox run: the sandbox refused to run the command (the reason is printed);
      otherwise agt sandbox run exits with the command's own status
  70  internal error (a bug: please report it)`,
  );

registerConfigOption(program);
registerDemo(program);
registerDoctor(program);

const policy = program
  .command('policy')
  .description('evaluate and test policies')
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  agt policy eval --policy policies/ --input '{"tool_name":"db","action":{"type":"drop"}}'
  agt policy test policies/`,
  );
registerPolicyEval(policy);
registerPolicyTest(policy);
registerInit(program);

const audit = program
  .command('audit')
  .description('verify, inspect, prove and move the durable audit log (default store: .agt/audit.db)')
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  agt audit verify --public-key audit-public.pem
  agt audit tail -n 50
  agt audit stats
  agt audit export --format cloudevents -o events.json
  agt audit prove 42 > proof.json && agt audit check-proof proof.json --public-key audit-public.pem`,
  );
registerAuditVerify(audit);
registerAuditTail(audit);
registerAuditStats(audit);
registerAuditExport(audit);
registerAuditProve(audit);
registerLintPolicy(program);

const scan = program
  .command('scan')
  .description('static checks on code agents run or are built from')
  .exitOverride()
  .addHelpText(
    'after',
    `
Examples:
  agt scan code src/ --min-severity high
  agt scan code . --format sarif > results.sarif`,
  );
registerScanCode(scan, version);
registerIdentityCommands(program);
registerAgentCommands(program);

const sandboxCommand = program
  .command('sandbox')
  .description('run commands in the bubblewrap sandbox governed tools use')
  .exitOverride();
registerSandboxRun(sandboxCommand);

// A reader that goes away (`agt ... | head`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});

async function main(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    // A command that found a problem (a failed check) sets the exit code itself.
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (thrown) {
    // A token or key pasted where a path belongs is never echoed back (shown-argument.ts).
    const error = thrown instanceof Error ? Object.assign(thrown, { message: withoutSecretArguments(thrown.message, process.argv) }) : thrown;
    if (error instanceof CommanderError) {
      // help and version exit 0; commander already printed usage errors
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof PolicyLoadError) {
      process.stderr.write(error.message.split('\n').map((line) => `error: ${line}`).join('\n') + '\n');
      return EXIT.usage;
    }
    if (error instanceof DeploymentConfigError) {
      process.stderr.write(error.message.split('\n').map((line) => `error: ${line}`).join('\n') + '\n');
      return EXIT.usage;
    }
    if (error instanceof CheckFailed) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.failed;
    }
    if (error instanceof ReportedFailure) return error.exitCode;
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`internal error: ${describeError(error)}\n`);
    return EXIT.internal;
  }
}

process.exitCode = await main();
