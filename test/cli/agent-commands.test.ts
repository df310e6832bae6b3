import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// `agt agent ...` as an operator runs it: exit 0 when done (or nothing to do), 1 when the move is
// illegal, 2 for bad usage; one line on stderr, never a stack trace.

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');

function deployment(extra = ''): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), 'agt-agent-cli-'));
  const config = join(dir, 'agt.config.yaml');
  writeFileSync(config, `version: 1\nstate: { path: state.db }\n${extra}`);
  return { dir, config };
}

function agt(cwd: string, ...args: string[]) {
  const result = spawnSync(process.execPath, [AGT, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', AGT_CONFIG: '' } });
  expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(result.status).not.toBe(70);
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('agt agent', () => {
  it('moves an agent and says what its next call meets; --json for programs', () => {
    const { dir, config } = deployment();
    const kill = agt(dir, 'agent', 'quarantine', 'bot', '--reason', 'odd', '--config', config, '--json');
    expect(kill.code).toBe(0);
    expect(JSON.parse(kill.stdout)).toMatchObject({ id: 'bot', from: 'active', state: 'quarantined', changed: true, generation: 1, store: join(dir, 'state.db') });
    expect(agt(dir, 'agent', 'quarantine', 'bot', '--config', config).stdout).toMatch(/^agent bot is already quarantined \(since .*\); nothing changed\n$/);
    const resume = agt(dir, 'agent', 'resume', 'bot', '--config', config);
    expect(resume).toMatchObject({ code: 1, stderr: 'error: agent bot is quarantined, not suspended; release it instead (agt agent release bot)\n' });
  });

  it('refuses ids that are not what the kernel sees, and a deployment whose state no other process shares', () => {
    const { dir, config } = deployment();
    expect(agt(dir, 'agent', 'kill', ' bot', '--config', config)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: the agent id " bot" begins or ends with white space/) });
    expect(agt(dir, 'agent', 'kill', 'a\tb', '--config', config)).toMatchObject({ code: 2, stderr: expect.stringMatching(/control characters/) });
    expect(agt(dir, 'agent', 'kill', 'x'.repeat(513), '--config', config)).toMatchObject({ code: 2 });
    const memory = join(dir, 'memory.yaml');
    writeFileSync(memory, 'version: 1\nstate: { path: memory }\n');
    expect(agt(dir, 'agent', 'kill', 'bot', '--config', memory)).toMatchObject({ code: 2, stderr: expect.stringMatching(/keeps state in memory, so no other process would see the change/) });
    const foreign = deployment();
    writeFileSync(join(foreign.dir, 'state.db'), 'not a database');
    expect(agt(foreign.dir, 'agent', 'kill', 'bot', '--config', foreign.config)).toMatchObject({ code: 2, stderr: expect.stringMatching(/state\.db is not an SQLite database, so not an agt state store/) });
  });

  it('with lifecycle.require_registration: an unseen agent is unregistered until registered and activated', () => {
    const { dir, config } = deployment('lifecycle: { require_registration: true }\n');
    expect(agt(dir, 'agent', 'status', 'new-bot', '--config', config).stdout).toBe('new-bot  unregistered (never recorded)\n');
    expect(agt(dir, 'agent', 'suspend', 'new-bot', '--config', config)).toMatchObject({ code: 1, stderr: expect.stringMatching(/not registered; register it first/) });
    expect(agt(dir, 'agent', 'register', 'new-bot', '--config', config).code).toBe(0);
    expect(agt(dir, 'agent', 'activate', 'new-bot', '--config', config).stdout).toMatch(/^agent new-bot: registered -> active/);
    const misspelt = join(dir, 'bad.yaml');
    writeFileSync(misspelt, 'version: 1\nlifecycle: { require_registraton: true }\n');
    expect(agt(dir, 'agent', 'status', '--config', misspelt)).toMatchObject({ code: 2, stderr: expect.stringMatching(/bad\.yaml:2.*lifecycle\.require_registraton/) });
  });
});
