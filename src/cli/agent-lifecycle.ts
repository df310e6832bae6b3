import { mkdirSync } from 'node:fs';
import { userInfo, hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_STATE_STORE, type DeploymentConfig } from '../config/resolve-config.js';
import { TARGET_STATE, type LifecycleCommand } from '../execution/lifecycle/agent-state.js';
import type { StandingRecord } from '../state/lifecycle-store.js';
import { describeError } from '../core/errors.js';
import { Lifecycle } from '../execution/lifecycle/lifecycle.js';
import { openLifecycleStore } from '../state/sqlite-lifecycle-store.js';
import { CheckFailed, UsageError } from './errors.js';
import { readHead, requireFileOrNothing } from './paths.js';
import { deploymentOf } from './identity-deployment.js';

interface LifecycleCliOptions {
  reason?: string;
  json?: boolean;
}

/** What each subcommand does, for its help line. */
const WHAT: Readonly<Record<LifecycleCommand, string>> = {
  kill: 'terminate an agent: every further call is denied, in every process, for good',
  suspend: 'suspend an agent: every call is denied until it is resumed',
  resume: 'resume a suspended agent (you, the operator, are the approving human)',
  quarantine: "quarantine an agent: only the policy's quarantine allow-list runs until it is released",
  release: 'release a quarantined agent (you, the operator, are the approving human)',
  register: 'register an agent (when the deployment requires registration); activate it next',
  activate: 'activate a registered agent (you, the operator, are the approving human)',
};

/** The longest agent id taken: ids are DIDs, SPIFFE IDs or names, never documents. */
const MAX_ID_LENGTH = 512;

/** `agt agent ...`: move agents through their lifecycle in the deployment's state store, and show where they stand. */
export function registerAgentCommands(program: Command): void {
  const agent = program
    .command('agent')
    .description("stop, quarantine and resume agents: the next call of every governed process obeys within 100 ms")
    .exitOverride()
    .addHelpText(
      'after',
      `
The state is written to the deployment's state store (state.path in agt.config.yaml, default
.agt/state.db), which every governed process on the machine watches: the agent's next call is
denied lifecycle:<state>. The state store keeps every change (who, from, to, why), and each
governed process records it in its own audit log when it sees it. The agent id is the one the
kernel sees: with identity, the agent's DID. Exit 0: done, or already so (nothing changed);
1: the move is not legal from the agent's state, or the store cannot be written; 2: bad usage.

Examples:
  agt agent kill did:key:z6Mk... --reason "exfiltrating data"
  agt agent quarantine support-agent --reason "odd tool use"; agt agent release support-agent
  agt agent status`,
    );
  for (const command of ['kill', 'suspend', 'resume', 'quarantine', 'release', 'register', 'activate'] as const) {
    agent
      .command(command)
      .description(WHAT[command])
      .argument('<id>', "the agent's id (with identity, its DID); an id that begins with '-' goes after --")
      .option('--reason <text>', 'why (recorded with the change)')
      .option('--config <file>', 'the deployment file (default: $AGT_CONFIG, else ./agt.config.yaml when present)')
      .option('--json', 'print the transition as JSON')
      .action(async (given: string, options: LifecycleCliOptions, cmd: Command) => {
        const id = checkedId(given);
        await withLifecycle(cmd, async (lifecycle, deployment) => {
          const before = lifecycle.stateOf(id);
          if (before?.state === TARGET_STATE[command] && command !== 'register') {
            report(options, { id, state: before.state, changed: false }, `agent ${id} is already ${before.state} (since ${iso(before.since)}); nothing changed`);
            return;
          }
          const operator = `operator ${whoAmI()} (agt CLI)`;
          const result = await lifecycle.transition(id, command, { reason: options.reason ?? 'no reason given', by: operator, approvedBy: operator, operatorAct: true });
          // Another operator got there first (the store's transaction decided): nothing to do.
          if (!result.ok && result.code === 'already') {
            report(options, { id, state: TARGET_STATE[command], changed: false }, `${result.message}`);
            return;
          }
          if (!result.ok) throw new CheckFailed(result.message);
          report(options, { id, from: result.from, state: result.to, changed: true, generation: result.generation, store: storePath(deployment) }, `agent ${id}: ${result.from ?? 'unseen (active)'} -> ${result.to}; ${NEXT[result.to]}`);
        });
      });
  }
  agent
    .command('status')
    .description('where agents stand: every recorded agent, or one')
    .argument('[id]', "an agent's id")
    .option('--config <file>', 'the deployment file (default: $AGT_CONFIG, else ./agt.config.yaml when present)')
    .option('--json', 'print JSON')
    .action(async (given: string | undefined, options: LifecycleCliOptions, cmd: Command) => {
      await withLifecycle(cmd, (lifecycle) => {
        const unseen = lifecycle.unseenIsActive ? 'active' : 'unregistered';
        if (given !== undefined) {
          const id = checkedId(given);
          const record = lifecycle.stateOf(id);
          report(options, { id, ...(record ? shown(record) : { state: unseen, recorded: false }) }, record ? line(id, record) : `${id}  ${unseen} (never recorded)`);
          return Promise.resolve();
        }
        const all = [...lifecycle.list()];
        if (options.json) process.stdout.write(`${JSON.stringify({ agents: all.map(([id, record]) => ({ id, ...shown(record) })), unseen })}\n`);
        else if (all.length === 0) process.stdout.write(`no agent has a recorded state; every agent is ${unseen}\n`);
        else process.stdout.write(all.map(([id, record]) => line(id, record)).join('\n') + '\n');
        return Promise.resolve();
      });
    });
}

const NEXT: Readonly<Record<string, string>> = {
  terminated: 'its next call is denied (lifecycle:terminated), for good',
  suspended: 'its next call is denied (lifecycle:suspended) until agt agent resume',
  quarantined: "its next call outside the quarantine allow-list is denied (lifecycle:quarantined) until agt agent release",
  active: 'it may act again',
  registered: 'activate it with agt agent activate',
};

/**
 * The deployment's lifecycle for one command, closed afterwards; a deployment with memory state
 * is refused. It writes no audit entry itself: an audit store has one appender (the governed
 * process), and every process that governs the agent records the move in its own log when it
 * sees it. The state store's event table keeps the history (who, from, to, why) either way.
 */
async function withLifecycle(command: Command, act: (lifecycle: Lifecycle, deployment: DeploymentConfig) => Promise<void>): Promise<void> {
  const deployment = withSharedState(deploymentOf(command));
  const path = storePath(deployment);
  if (requireFileOrNothing(path, 'a state store', STATE_FIX)) {
    const head = readHead(path, SQLITE_HEADER.length, STATE_FIX);
    if (head.length > 0 && !head.equals(SQLITE_HEADER)) throw new UsageError(`${path} is not an SQLite database, so not an agt state store; ${STATE_FIX}`);
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw new UsageError(`cannot make the folder of the state store ${path}: ${describeError(error)}; ${STATE_FIX}`);
  }
  const lifecycle = new Lifecycle({ store: openLifecycleStore(path), requireRegistration: deployment.lifecycle?.requireRegistration === true });
  try {
    if (lifecycle.failure !== null) throw new CheckFailed(lifecycle.failure);
    await act(lifecycle, deployment);
  } finally {
    lifecycle.close();
  }
}

const STATE_FIX = 'set state.path in agt.config.yaml to an agt state store (a SQLite file; it is made when missing)';
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Without a deployment file the embedded state store .agt/state.db (as the identity commands); memory state is refused. */
function withSharedState(deployment: DeploymentConfig): DeploymentConfig {
  if (deployment.file === null) return { ...deployment, state: { kind: 'sqlite', path: resolve(DEFAULT_STATE_STORE) } };
  if (deployment.state.kind === 'memory') throw new UsageError(`${deployment.label} keeps state in memory, so no other process would see the change; set state: { path: .agt/state.db } in it`);
  return deployment;
}

function checkedId(given: string): string {
  if (given === '' || given.length > MAX_ID_LENGTH) throw new UsageError(`an agent id is 1 to ${MAX_ID_LENGTH} characters; pass the id the kernel sees (with identity, the agent's DID)`);
  if (given.trim() !== given) throw new UsageError(`the agent id ${JSON.stringify(given)} begins or ends with white space; ids are matched exactly, so remove it`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(given)) throw new UsageError('the agent id holds control characters; pass the id the kernel sees');
  return given;
}

function storePath(deployment: DeploymentConfig): string {
  return deployment.state.kind === 'sqlite' ? deployment.state.path : 'memory';
}

function whoAmI(): string {
  try {
    return `${userInfo().username}@${hostname()}`;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}@${hostname()}`;
  }
}

function report(options: LifecycleCliOptions, value: object, text: string): void {
  process.stdout.write(options.json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

function shown(record: StandingRecord): object {
  return { state: record.state, since: iso(record.since), by: record.by, reason: record.reason, recorded: true };
}

function line(id: string, record: StandingRecord): string {
  return `${id}  ${record.state} since ${iso(record.since)} by ${record.by}: ${record.reason}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
