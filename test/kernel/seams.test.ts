import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { SqliteAuditSink } from '../../src/audit/sqlite-sink.js';
import { GovernanceDenied } from '../../src/core/errors.js';
import { ToolCallGovernor } from '../../src/adapters/tool-call.js';
import { govern } from '../../src/kernel/govern.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';

// Each block here is one seam through which denied or unchecked work once got past the checks:
// the test drives the attack, and the kernel must hold.

const HEADER = 'apiVersion: governance.toolkit/v1\n';
const SQL_POLICY = `${HEADER}name: sql
default_action: allow
rules:
  - name: no-drop
    condition: "has(args.sql) && args.sql.contains('DROP')"
    action: deny
  - name: no-etc
    condition: "has(args.path) && args.path.startsWith('/etc')"
    action: deny
`;

const dir = mkdtempSync(join(tmpdir(), 'agt-seams-'));
const sinks: SqliteAuditSink[] = [];
function durableLog(): AuditLog {
  const sink = new SqliteAuditSink({ path: join(dir, `audit-${sinks.length}.db`), checkpointIntervalMs: 60_000 });
  sinks.push(sink);
  return new AuditLog({ sink });
}
afterAll(() => {
  for (const sink of sinks) sink.close();
});

async function denial(promise: Promise<unknown>): Promise<GovernanceDenied> {
  const error = await promise.then(
    () => new Error('expected GovernanceDenied'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(GovernanceDenied);
  return error as GovernanceDenied;
}

describe('seam: arguments changed between the check and the run', () => {
  it('a caller mutating its argument object after the call (durable store, background commit) cannot reach the tool', async () => {
    const ran = vi.fn(async (args: { sql: string }) => args.sql);
    const tool = govern(ran, { policy: PolicyEvaluator.fromYaml(SQL_POLICY), name: 'db', audit: durableLog() });
    const args = { sql: 'SELECT 1' };
    const pending = tool(args);
    args.sql = 'DROP TABLE users';
    expect(await pending).toBe('SELECT 1');
    expect(ran).toHaveBeenCalledWith({ sql: 'SELECT 1' });
  });

  it('the same through an adapter: ToolCallGovernor.callTool runs the checked copy', async () => {
    const governor = new ToolCallGovernor({ policy: PolicyEvaluator.fromYaml(SQL_POLICY), audit: durableLog() });
    const args = { sql: 'SELECT 1' };
    const seen: unknown[] = [];
    const pending = governor.callTool({ tool: 'db', args }, (checked) => seen.push(checked));
    args.sql = 'DROP TABLE users';
    await pending;
    expect(seen).toEqual([{ sql: 'SELECT 1' }]);
  });

  it('a getter that answers differently on later reads is read once: the tool gets what was checked', async () => {
    let reads = 0;
    const args = {
      get path() {
        reads += 1;
        return reads === 1 ? '/tmp/ok' : '/etc/passwd';
      },
    };
    const ran = vi.fn(async (input: { path: string }) => input.path);
    const tool = govern(ran, { policy: PolicyEvaluator.fromYaml(SQL_POLICY), name: 'fs', audit: new AuditLog() });
    expect(await tool(args)).toBe('/tmp/ok');
    expect(reads).toBe(1);
  });

  it('the tool receives a frozen copy: it cannot be changed under the checked decision', async () => {
    let received: Record<string, unknown> | undefined;
    const tool = govern(
      async (input: Record<string, unknown>) => {
        received = input;
      },
      { policy: PolicyEvaluator.fromYaml(SQL_POLICY), name: 'db', audit: false },
    );
    const args = { sql: 'SELECT 1', nested: { a: [1, 2] } };
    await tool(args);
    expect(received).not.toBe(args);
    expect(Object.isFrozen(received)).toBe(true);
    expect(Object.isFrozen(received?.nested)).toBe(true);
  });

  const APPROVAL_POLICY = `${HEADER}name: approvals
default_action: allow
rules:
  - name: ask-for-files
    condition: "tool_name == 'fs'"
    action: require_approval
  - name: no-etc
    condition: "has(args.path) && args.path.startsWith('/etc')"
    action: deny
`;

  it('on the approval path the approver sees, and the tool runs, what was decided, not a later change', async () => {
    const args = { path: '/tmp/report' };
    const seenByApprover: unknown[] = [];
    const ran = vi.fn(async (input: { path: string }) => input.path);
    const tool = govern(ran, {
      policy: PolicyEvaluator.fromYaml(APPROVAL_POLICY),
      name: 'fs',
      audit: new AuditLog(),
      approvals: async (request) => {
        seenByApprover.push(request.args);
        return 'approved' as const;
      },
    });
    const pending = tool(args);
    args.path = '/etc/shadow'; // changed while the call waits for the approver
    expect(await pending).toBe('/tmp/report');
    expect(seenByApprover).toEqual([{ path: '/tmp/report' }]);
  });

  it('an approval handler that edits request.args before approving cannot change what runs', async () => {
    const ran = vi.fn(async (input: { path: string }) => input.path);
    const tool = govern(ran, {
      policy: PolicyEvaluator.fromYaml(APPROVAL_POLICY),
      name: 'fs',
      audit: new AuditLog(),
      approvals: (request) => {
        try {
          (request.args as { path: string }).path = '/etc/shadow';
        } catch {
          // frozen: the edit is refused
        }
        return 'approved';
      },
    });
    expect(await tool({ path: '/tmp/report' })).toBe('/tmp/report');
  });
});

describe('seam: approval drops matched transforms', () => {
  it('a require_approval beside a redact transform: the approved call runs redacted', async () => {
    const policy = PolicyEvaluator.fromYaml(`${HEADER}name: crm
default_action: allow
rules:
  - name: approve-exports
    condition: "tool_name == 'export'"
    action: require_approval
  - name: redact-ssn
    condition: "tool_name == 'export'"
    action: transform
    redact: [ssn]
`);
    const ran = vi.fn(async (input: Record<string, unknown>) => input);
    const audit = new AuditLog();
    const tool = govern(ran, { policy, name: 'export', audit, approvals: () => 'approved' });
    expect(await tool({ name: 'Ada', ssn: '123-45-6789' })).toEqual({ name: 'Ada', ssn: '[REDACTED]' });
    const [asked, approved] = audit.entries();
    expect(asked?.verdict).toBe('require_approval');
    expect(approved?.verdict).toBe('allow');
  });
});

describe('seam: approved calls are counted by rate limits', () => {
  it('a 2/minute rule beside a require_approval rule limits approved calls, and the third is not put to the approver', async () => {
    const policy = PolicyEvaluator.fromYaml(`${HEADER}name: mail
default_action: deny
rules:
  - name: approve-mail
    condition: "tool_name == 'send_email'"
    action: require_approval
  - name: mail-budget
    condition: "tool_name == 'send_email'"
    action: allow
    limit: 2/minute
`);
    const approvals = vi.fn((..._args: unknown[]) => 'approved' as const);
    const send = govern(async (_input: { to: string }) => 'sent', { policy, name: 'send_email', audit: false, approvals });
    expect(await send({ to: 'a' })).toBe('sent');
    expect(await send({ to: 'b' })).toBe('sent');
    const third = await denial(send({ to: 'c' }));
    expect(third.decision).toMatchObject({ rateLimited: true, rule: 'mail-budget' });
    expect(approvals).toHaveBeenCalledTimes(2);
  });
});

describe('seam: the kernel throws instead of denying', () => {
  const policy = PolicyEvaluator.fromYaml(SQL_POLICY);

  it('a getter that throws a null-prototype object is a recorded denial, not a TypeError', async () => {
    const audit = new AuditLog();
    const hostile = {
      get sql(): string {
        throw Object.create(null);
      },
    };
    const ran = vi.fn();
    const error = await denial(govern(ran, { policy, name: 'db', audit })(hostile));
    expect(error.decision.reason).toMatch(/^runtime_error:invalid_request: /);
    expect(ran).not.toHaveBeenCalled();
    expect(audit.entries().map((e) => e.verdict)).toEqual(['deny']);
  });

  it('a proxy whose traps throw, and an Error whose message getter throws, are recorded denials', async () => {
    const audit = new AuditLog();
    const evil = new Error('x');
    Object.defineProperty(evil, 'message', {
      get() {
        throw Object.create(null);
      },
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw evil;
        },
        getPrototypeOf() {
          throw Object.create(null);
        },
      },
    );
    const tool = govern(vi.fn(), { policy, name: 'db', audit });
    await denial(tool(proxy));
    const kernel = new Kernel({ policy, audit });
    const decision = kernel.decide({ tool_name: 'db', args: proxy as Record<string, unknown> });
    expect(decision.verdict).toBe('deny');
    expect(audit.entries().map((e) => e.verdict)).toEqual(['deny', 'deny']);
  });

  it('an approval handler that throws such a value denies, and the outcome is audited', async () => {
    const audit = new AuditLog();
    const approvals = () => {
      throw Object.create(null);
    };
    const tool = govern(vi.fn(), {
      policy: PolicyEvaluator.fromYaml(`${HEADER}name: p\ndefault_action: allow\nrules:\n  - { name: ask, action: require_approval }\n`),
      name: 'db',
      audit,
      approvals,
    });
    const error = await denial(tool({ a: 1 }));
    expect(error.decision.reason).toMatch(/approval handler failed/);
    expect(audit.entries().map((e) => e.verdict)).toEqual(['require_approval', 'deny']);
  });

  it('a guard that throws anything denies with its name', async () => {
    const kernel = new Kernel({
      policy,
      audit: false,
      guards: [
        {
          name: 'flaky',
          check() {
            throw Object.create(null);
          },
        },
      ],
    });
    const outcome = await kernel.handle({ tool: 'db', args: { sql: 'SELECT 1' } }, () => 'ran');
    expect(outcome.kind).toBe('refused');
    expect(outcome.kind === 'refused' && outcome.decision.reason).toMatch(/^runtime_error:guard: guard 'flaky' failed: /);
  });
});

describe('Kernel.decide with an asynchronous guard', () => {
  it('denies, and records exactly one entry: the denial', async () => {
    const audit = new AuditLog();
    const kernel = new Kernel({
      policy: PolicyEvaluator.fromYaml(SQL_POLICY),
      audit,
      guards: [{ name: 'slow', check: async () => undefined }],
    });
    const decision = kernel.decide({ tool_name: 'db', args: { sql: 'SELECT 1' } });
    expect(decision.reason).toMatch(/^runtime_error:guard: .*use decideAsync\(\)/);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(audit.entries().map((e) => e.verdict)).toEqual(['deny']);
    expect((await kernel.decideAsync({ tool_name: 'db', args: { sql: 'SELECT 1' } })).verdict).toBe('allow');
  });
});

describe('every decision names the pipeline step whose answer stands', () => {
  it('policy, limits, or the guard that ended the request', async () => {
    const policy = PolicyEvaluator.fromYaml(`${HEADER}name: steps
default_action: allow
rules:
  - { name: budget, condition: "tool_name == 'search'", action: allow, limit: 1/minute }
  - { name: no-drop, condition: "tool_name == 'drop'", action: deny }
`);
    const kernel = new Kernel({
      policy,
      audit: false,
      guards: [{ name: 'standing', check: (context) => (context.request.tool_name === 'quarantined' ? Kernel.prototype.decide.call(new Kernel({ policy, audit: false }), { tool_name: 'drop' }) : undefined) }],
    });
    const step = async (tool: string) => {
      const outcome = await kernel.handle({ tool }, () => 'ran');
      return outcome.decision.diagnostics.step;
    };
    expect(await step('search')).toBe('policy');
    expect(await step('search')).toBe('limits');
    expect(await step('drop')).toBe('policy');
    expect(await step('quarantined')).toBe('standing');
  });
});

describe('a guard ends a request only with a deny, and what it returns is not trusted', () => {
  const policy = PolicyEvaluator.fromYaml(`${HEADER}name: p\ndefault_action: deny\nrules: []\n`);
  const guarded = (answer: unknown, audit: AuditLog | false = false) =>
    new Kernel({ policy, audit, guards: [{ name: 'odd', check: () => answer as never }] });

  it.each([
    ['an allow (which would skip the policy)', { verdict: 'allow', allowed: true }],
    ['a string', 'deny'],
    ['a number', 42],
    ['an object whose verdict getter throws', Object.defineProperty({}, 'verdict', { get: () => { throw new Error('boom'); } })],
  ])('%s is a guard failure, denied and recorded', async (_name, answer) => {
    const audit = new AuditLog();
    let ran = false;
    const outcome = await guarded(answer, audit).handle({ tool: 'anything' }, () => (ran = true));
    expect(ran).toBe(false);
    expect(outcome.kind === 'refused' && outcome.decision.reason).toMatch(/^runtime_error:guard: guard 'odd' failed: /);
    expect(audit.verify().ok).toBe(true);
  });

  it('a frozen, sparse deny is rebuilt into a full decision the audit can chain', async () => {
    const audit = new AuditLog();
    const outcome = await guarded(Object.freeze({ verdict: 'deny', reason: 'agent is quarantined' }), audit).handle({ tool: 'anything' }, () => 'ran');
    expect(outcome.decision).toMatchObject({ verdict: 'deny', allowed: false, reason: 'agent is quarantined', diagnostics: { step: 'odd' } });
    expect(outcome.decision.inputIdentity).toMatch(/^[0-9a-f]{64}$/);
    expect(audit.entries()[0]?.reason).toBe('agent is quarantined');
    expect(audit.verify().ok).toBe(true);
  });
});

describe('a refusal whose audit entry cannot be committed', () => {
  it('tells the caller the record failed, and still refuses (disk full)', async () => {
    const { MemoryAuditSink } = await import('../../src/audit/sink.js');
    class FullDisk extends MemoryAuditSink {
      durable(): Promise<void> {
        return Promise.reject(new Error('ENOSPC: no space left on device'));
      }
    }
    const ran = vi.fn();
    const tool = govern(ran, { policy: PolicyEvaluator.fromYaml(SQL_POLICY), name: 'db', audit: new AuditLog({ sink: new FullDisk() }) });
    const error = await denial(tool({ sql: 'DROP TABLE users' }));
    expect(ran).not.toHaveBeenCalled();
    expect(error.decision.reason).toMatch(/^runtime_error:audit: the audit store could not commit this refusal \(ENOSPC.*\); refused: /);
  });
});
