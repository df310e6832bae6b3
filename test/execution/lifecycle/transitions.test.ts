import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../../src/audit/audit-log.js';
import { AGENT_STATES, checkTransition, LIFECYCLE_COMMANDS, TARGET_STATE, type AgentState, type LifecycleCommand } from '../../../src/execution/lifecycle/agent-state.js';
import { Lifecycle, type TransitionEvent } from '../../../src/execution/lifecycle/lifecycle.js';
import { MemoryLifecycleStore } from '../../../src/state/lifecycle-store.js';

// The lifecycle's rules, as a table: every command from every state, legal or refused with a
// reason an operator can act on; the human needed to lift a restriction; the audit record of
// every move; the events a kill switch listens to.

const LEGAL: Record<LifecycleCommand, AgentState[]> = {
  register: [],
  activate: ['registered'],
  suspend: ['active', 'quarantined'],
  resume: ['suspended'],
  quarantine: ['active', 'suspended'],
  release: ['quarantined'],
  kill: ['registered', 'active', 'suspended', 'quarantined'],
};

describe('the transition table', () => {
  for (const command of LIFECYCLE_COMMANDS) {
    for (const from of AGENT_STATES) {
      const legal = LEGAL[command].includes(from);
      it(`${command} from ${from}: ${legal ? 'legal' : 'refused'}`, () => {
        const answer = checkTransition('a1', from, command, true);
        expect(answer.ok).toBe(legal);
        if (!answer.ok) expect(answer.message).toContain('agent a1');
      });
    }
  }

  it('terminated is final, and says so in the words the operator reads', () => {
    for (const command of LIFECYCLE_COMMANDS) {
      const answer = checkTransition('X', 'terminated', command, true);
      expect(answer.ok).toBe(false);
    }
    const resume = checkTransition('X', 'terminated', 'resume', true);
    expect(!resume.ok && resume.message).toMatch(/^agent X is terminated; a terminated agent cannot be resumed/);
  });

  it('an unseen agent is active by default, and must be registered when the deployment requires it', () => {
    expect(checkTransition('new', undefined, 'kill', true)).toEqual({ ok: true, from: 'active' });
    expect(checkTransition('new', undefined, 'register', true)).toEqual({ ok: true, from: null });
    const refused = checkTransition('new', undefined, 'suspend', false);
    expect(!refused.ok && refused.message).toMatch(/not registered; register it first/);
  });

  it('resuming a quarantined agent points at release, and releasing a suspended one at resume', () => {
    const resume = checkTransition('q', 'quarantined', 'resume', true);
    expect(!resume.ok && resume.message).toMatch(/release it instead/);
    const release = checkTransition('s', 'suspended', 'release', true);
    expect(!release.ok && release.message).toMatch(/resume it instead/);
  });
});

describe('Lifecycle transitions', () => {
  it('walks register -> active -> suspended -> active -> quarantined -> active -> terminated, each audited with who, from, to and why', async () => {
    const audit = new AuditLog();
    const lifecycle = new Lifecycle({ audit, requireRegistration: true, approvals: () => 'approved' });
    const steps: [LifecycleCommand, string?][] = [['register'], ['activate', 'lead'], ['suspend'], ['resume', 'lead'], ['quarantine'], ['release', 'lead'], ['kill']];
    for (const [command, approvedBy] of steps) {
      const result = await lifecycle.transition('agent-7', command, { reason: `because ${command}`, by: 'ops', ...(approvedBy ? { approvedBy } : {}) });
      expect(result.ok, JSON.stringify(result)).toBe(true);
      expect(lifecycle.stateOf('agent-7')?.state).toBe(TARGET_STATE[command]);
    }
    const entries = [...audit.entries()];
    expect(entries).toHaveLength(steps.length);
    expect(entries.map((e) => e.tool)).toEqual(steps.map(([c]) => `agt.lifecycle.${c}`));
    expect(entries.every((e) => e.agent === 'agent-7' && e.verdict === 'log')).toBe(true);
    expect(entries[2]?.stage).toBe('agent_shutdown');
    expect(entries[3]?.stage).toBe('agent_startup');
    expect(entries[3]?.reason).toBe('lifecycle:active: agent agent-7 suspended -> active by ops (approved by lead): because resume');
    expect(entries[6]?.reason).toMatch(/^lifecycle:terminated: agent agent-7 active -> terminated by ops: because kill$/);
    // Final: nothing moves a terminated agent, and a refused move writes nothing.
    const again = await lifecycle.resume('agent-7', { approvedBy: 'lead' });
    expect(again).toMatchObject({ ok: false, code: 'illegal' });
    expect([...audit.entries()]).toHaveLength(steps.length);
  });

  it('a programmatic resume or release needs approvedBy, and then the approval handler; without one it is refused', async () => {
    const noHandler = new Lifecycle();
    await noHandler.suspend('a');
    expect(await noHandler.resume('a')).toMatchObject({ ok: false, code: 'needs_human', message: expect.stringMatching(/needs a human: pass approvedBy/) });
    expect(await noHandler.resume('a', { approvedBy: '  ' })).toMatchObject({ ok: false, code: 'needs_human' });
    expect(await noHandler.resume('a', { approvedBy: 'lead' })).toMatchObject({ ok: false, code: 'needs_human', message: expect.stringMatching(/no approval handler is configured/) });
    expect(noHandler.stateOf('a')?.state).toBe('suspended');

    const asked: unknown[] = [];
    const denying = new Lifecycle({ approvals: (request) => (asked.push(request.tool_name), 'denied') });
    await denying.quarantine('b');
    expect(await denying.release('b', { approvedBy: 'lead' })).toMatchObject({ ok: false, code: 'needs_human', message: expect.stringMatching(/not approved: approval denied/) });
    expect(asked).toEqual(['agt.lifecycle.release']);
    const throwing = new Lifecycle({ approvals: () => { throw new Error('pager down'); } });
    await throwing.suspend('c');
    expect(await throwing.resume('c', { approvedBy: 'lead' })).toMatchObject({ ok: false, message: expect.stringMatching(/pager down/) });
    // The CLI is the human act: an operator at the terminal is not asked again.
    expect(await noHandler.resume('a', { approvedBy: 'operator', operatorAct: true })).toMatchObject({ ok: true, from: 'suspended', to: 'active' });
  });

  it('refuses odd agent ids instead of recording them', async () => {
    const lifecycle = new Lifecycle();
    expect(await lifecycle.kill('')).toMatchObject({ ok: false });
    expect(await lifecycle.kill(42 as unknown as string)).toMatchObject({ ok: false });
  });

  it('tells listeners of every transition; a listener that throws stops neither the others nor the move', async () => {
    const lifecycle = new Lifecycle();
    const heard: TransitionEvent[] = [];
    lifecycle.onTransition(() => {
      throw new Error('bad listener');
    });
    const stop = lifecycle.onTransition((event) => heard.push(event));
    await lifecycle.suspend('a', { reason: 'r' });
    await lifecycle.kill('a');
    stop();
    await lifecycle.kill('b');
    expect(heard.map((e) => [e.agentId, e.from, e.to, e.origin])).toEqual([
      ['a', 'active', 'suspended', 'this-process'],
      ['a', 'suspended', 'terminated', 'this-process'],
    ]);
    expect(heard[1]?.generation).toBe(2);
  });

  it('standing answers: active, stopped with its record, unregistered when registration is required', async () => {
    const store = new MemoryLifecycleStore();
    const lifecycle = new Lifecycle({ store, requireRegistration: true });
    expect(lifecycle.standing('ghost')).toMatchObject({ kind: 'stopped', state: 'unregistered' });
    await lifecycle.transition('r', 'register');
    expect(lifecycle.standing('r')).toMatchObject({ kind: 'stopped', state: 'registered' });
    await lifecycle.transition('r', 'activate', { approvedBy: 'op', operatorAct: true });
    expect(lifecycle.standing('r')).toEqual({ kind: 'active' });
    expect(new Lifecycle().standing('ghost')).toEqual({ kind: 'active' });
  });
});
