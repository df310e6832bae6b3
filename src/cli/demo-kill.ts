import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditLog } from '../audit/audit-log.js';
import { Lifecycle, type TransitionEvent } from '../execution/lifecycle/lifecycle.js';
import { openLifecycleStore } from '../state/sqlite-lifecycle-store.js';
import { UsageError } from './errors.js';

/**
 * The demo's kill scene: an operator in another terminal runs `agt agent kill support-agent`
 * against the demo's deployment file, and the agent's very next call, in this process, is
 * denied `lifecycle:terminated`. The demo's tools read a lifecycle over a SQLite state store
 * beside the audit store, exactly as a deployment's do; the kill is a real second process.
 */

/** The agent the demo kills. */
export const DEMO_AGENT = 'support-agent';

/** The demo's deployment: the files the second process reads, and the lifecycle this one watches. */
export interface DemoDeployment {
  readonly configPath: string;
  readonly lifecycle: Lifecycle;
}

/**
 * Writes `demo.config.yaml` beside the store (the demo's policy, audit and state) and opens a
 * fresh lifecycle over `demo-state.db`: each run starts with the agent active again.
 */
export function demoDeployment(store: string, audit: AuditLog): DemoDeployment {
  const dir = dirname(store);
  const configPath = join(dir, 'demo.config.yaml');
  const statePath = join(dir, 'demo-state.db');
  try {
    for (const suffix of ['', '-wal', '-shm']) rmSync(statePath + suffix, { force: true });
    writeFileSync(
      configPath,
      `# The deployment \`agt demo\` runs in; try: agt agent status --config ${configPath}\nversion: 1\npolicy: demo-policy.yaml\naudit: { store: ${JSON.stringify(basename(store))} }\nstate: { path: demo-state.db }\n`,
    );
  } catch (error) {
    throw new UsageError(`cannot write the demo's deployment beside ${store} (${(error as NodeJS.ErrnoException).code ?? 'unknown error'}); give --store a path in a folder you can write`);
  }
  return { configPath, lifecycle: new Lifecycle({ store: openLifecycleStore(statePath), audit }) };
}

/** Runs `agt agent kill` in a second process and waits until this process has seen the kill; says how long that took. */
export async function killFromOutside(deployment: DemoDeployment): Promise<string> {
  const agt = fileURLToPath(new URL('./agt.js', import.meta.url));
  const seen = new Promise<TransitionEvent>((resolve) => {
    const stop = deployment.lifecycle.onTransition((event) => {
      if (event.agentId !== DEMO_AGENT || event.to !== 'terminated') return;
      stop();
      resolve(event);
    });
  });
  const child = spawn(process.execPath, [agt, 'agent', 'kill', DEMO_AGENT, '--reason', 'the demo operator pulls the plug', '--config', deployment.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) return `the kill failed (exit ${String(code)}): ${stderr.trim()}`;
  const timeout = new Promise<null>((resolve) => setTimeout(resolve, 2_000, null).unref());
  const event = await Promise.race([seen, timeout]);
  if (event === null) return `pid ${String(child.pid)} killed it, but this process did not see it within 2 s`;
  return `pid ${String(child.pid)} ran agt agent kill; seen here ${Math.max(0, Date.now() - event.at)} ms after its commit`;
}
