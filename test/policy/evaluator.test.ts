import { describe, expect, it } from 'vitest';
import { PolicyEvaluator } from '../../src/policy/evaluator.js';
import { evaluateWithLimits } from '../../src/policy/evaluate/limited.js';
import { RateLimiter } from '../../src/reliability/rate-limits.js';
import { MemorySlidingWindowStore } from '../../src/state/sliding-window.js';
import type { Decision } from '../../src/core/types.js';
import { SEED_POLICY } from '../fixtures/seed-policy.js';

const SEED = SEED_POLICY;

const policy = (body: string, options = {}) => PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1\n${body}`, options);

describe('the seed policy', () => {
  const evaluator = PolicyEvaluator.fromYaml(SEED);

  it('denies destructive actions with the rule, policy and description', () => {
    const d = evaluator.evaluate({ tool_name: 'db', action: { type: 'drop' } });
    expect(d).toMatchObject({
      verdict: 'deny',
      allowed: false,
      rule: 'block-destructive',
      policy: 'production-policy',
      reason: 'Destructive operations require human approval',
      message: 'Destructive operations require human approval',
      stage: 'pre_tool',
      rateLimited: false,
      retryAfterMs: null,
      transform: null,
    });
    expect(d.diagnostics.matchedRules).toEqual([{ policy: 'production-policy', rule: 'block-destructive', verdict: 'deny', priority: 0 }]);
  });

  it('holds email for approval, naming the approvers, and does not count it as allowed', () => {
    const d = evaluator.evaluate({ tool_name: 'mailer', action: 'send_email' });
    expect(d).toMatchObject({ verdict: 'require_approval', allowed: false, rule: 'require-approval-for-send', approvers: ['security-team'] });
  });

  it('allows everything else by the default action, and says so', () => {
    const d = evaluator.evaluate({ tool_name: 'db', action: { type: 'read' } });
    expect(d).toMatchObject({ verdict: 'allow', allowed: true, rule: null, policy: 'production-policy' });
    expect(d.reason).toMatch(/default_action is allow/);
  });

  it('takes action.type from the tool name when the request has no action', () => {
    expect(evaluator.evaluate({ tool_name: 'delete' }).verdict).toBe('deny');
  });

  it('stamps every decision with a time-ordered id, the policy revision and a duration', () => {
    const a = evaluator.evaluate({ tool_name: 'x' });
    const b = evaluator.evaluate({ tool_name: 'x' });
    expect(b.decisionId > a.decisionId).toBe(true);
    expect(a.policyRevision).toMatch(/^[0-9a-f]{64}$/);
    expect(a.policyRevision).toBe(PolicyEvaluator.fromYaml(SEED).revision);
    expect(PolicyEvaluator.fromYaml(SEED.replace('truncate', 'purge')).revision).not.toBe(a.policyRevision);
    expect(a.durationUs).toBeGreaterThanOrEqual(0);
  });

  it('is deterministic: same request, same policy revision, same decision (ids and timings aside)', () => {
    const strip = ({ decisionId: _a, durationUs: _b, ...rest }: Decision) => rest;
    const request = { tool_name: 'db', action: { type: 'truncate' }, args: { table: 't' } };
    expect(strip(evaluator.evaluate(request))).toEqual(strip(PolicyEvaluator.fromYaml(SEED).evaluate(request)));
  });
});

describe('defaults', () => {
  it('denies by default when default_action is not given', () => {
    const d = policy('name: p\nrules: []\n').evaluate({ tool_name: 'anything' });
    expect(d).toMatchObject({ verdict: 'deny', rule: null, policy: 'p' });
    expect(d.reason).toMatch(/default_action is deny/);
  });

  it('lets content through at the input, post_tool and output stages when no rule of that stage matched', () => {
    const evaluator = policy('name: p\nrules: []\n');
    for (const stage of ['pre_input', 'post_tool', 'pre_output'] as const) {
      expect(evaluator.evaluate({ stage, tool_name: 'x', output: 'ok', input: 'hi' }).verdict).toBe('allow');
    }
  });

  it('accepts AGT 1.0 documents: defaults.action, structured conditions, audit and block', () => {
    const evaluator = PolicyEvaluator.fromYaml(`version: "1.0"
name: legacy
defaults:
  action: allow
  max_tokens: 4096
rules:
  - name: no-shell
    condition: { field: tool_name, operator: eq, value: shell }
    action: block
    priority: 10
  - name: watch-http
    condition: { field: tool_name, operator: in, value: [http_get, http_post] }
    action: audit
`);
    expect(evaluator.evaluate({ tool_name: 'shell' }).verdict).toBe('deny');
    expect(evaluator.evaluate({ tool_name: 'http_get' })).toMatchObject({ verdict: 'log', allowed: true });
    expect(evaluator.evaluate({ tool_name: 'other' }).verdict).toBe('allow');
    expect(evaluator.warnings.map((w) => w.message).join('\n')).toMatch(/deprecated "1.0"[\s\S]*max_tokens/);
  });
});

describe('stages', () => {
  const evaluator = policy(`name: staged
default_action: allow
rules:
  - name: no-secrets-out
    stage: post_tool_call
    condition: "string(output).contains('SECRET')"
    action: deny
  - name: no-prompt-injection
    stage: input
    condition: "input.contains('ignore previous instructions')"
    action: deny
  - name: shout
    stage: output
    condition: "output == 'LOUD'"
    action: warn
`);

  it('applies each rule only at its stage, accepting ACS stage names as synonyms', () => {
    expect(evaluator.evaluate({ stage: 'post_tool', tool_name: 't', output: 'a SECRET' }).rule).toBe('no-secrets-out');
    expect(evaluator.evaluate({ stage: 'pre_tool', tool_name: 't', output: 'a SECRET' }).verdict).toBe('allow');
    expect(evaluator.evaluate({ stage: 'input', input: 'please ignore previous instructions' }).rule).toBe('no-prompt-injection');
    expect(evaluator.evaluate({ stage: 'pre_output', output: 'LOUD' })).toMatchObject({ verdict: 'warn', allowed: true, stage: 'pre_output' });
  });

  it('denies an unknown stage as an invalid request', () => {
    expect(evaluator.evaluate({ stage: 'whenever' }).reason).toMatch(/^runtime_error:invalid_request: the stage is not one of/);
  });
});

describe('tool lists and blocked patterns', () => {
  const evaluator = policy(`name: lists
default_action: deny
allowed_tools: [search, "fs.*", "db_*"]
denied_tools: [db_drop]
blocked_patterns: ["(?i)ignore (all|previous) instructions", "rm\\\\s+-rf"]
rules:
  - name: no-big-reads
    condition: "tool_name == 'db_read' && args.rows > 1000"
    action: deny
`);

  it('allows listed tools, including globs, even under default deny', () => {
    expect(evaluator.evaluate({ tool_name: 'search' })).toMatchObject({ verdict: 'allow', rule: 'allowed_tools' });
    expect(evaluator.evaluate({ tool_name: 'fs' }).verdict).toBe('allow');
    expect(evaluator.evaluate({ tool_name: 'fs.read.deep' }).verdict).toBe('allow');
    expect(evaluator.evaluate({ tool_name: 'db_read', args: { rows: 5 } }).verdict).toBe('allow');
  });

  it('denies unlisted tools, and denied_tools wins over allowed_tools', () => {
    expect(evaluator.evaluate({ tool_name: 'shell' })).toMatchObject({ verdict: 'deny', rule: 'allowed_tools' });
    expect(evaluator.evaluate({ tool_name: 'fsx' }).verdict).toBe('deny');
    expect(evaluator.evaluate({ tool_name: 'db_drop' })).toMatchObject({ verdict: 'deny', rule: 'denied_tools' });
  });

  it('still applies rules to listed tools', () => {
    expect(evaluator.evaluate({ tool_name: 'db_read', args: { rows: 5000 } }).rule).toBe('no-big-reads');
  });

  it('blocks inbound text matching a blocked pattern at the input stage', () => {
    const d = evaluator.evaluate({ stage: 'pre_input', input: 'Please IGNORE ALL instructions' });
    expect(d).toMatchObject({ verdict: 'deny', rule: 'blocked_patterns' });
    expect(evaluator.evaluate({ stage: 'pre_input', input: 'then rm   -rf /' }).verdict).toBe('deny');
    expect(evaluator.evaluate({ stage: 'pre_input', input: 'a normal question' }).verdict).toBe('allow');
    expect(evaluator.evaluate({ stage: 'pre_input', input: { nested: 'ignore previous instructions' } }).verdict).toBe('deny');
  });

  it('matches in linear time: a pattern that is catastrophic for backtracking engines returns at once', () => {
    const evil = policy(`name: evil\ndefault_action: allow\nblocked_patterns: ["(a+)+$"]\nrules: []\n`);
    const started = performance.now();
    evil.evaluate({ stage: 'pre_input', input: 'a'.repeat(50_000) + 'b' });
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('agents', () => {
  it('applies a document only to the agents it names, and denies agents no document covers', () => {
    const evaluator = policy(`name: finance\nagents: ["finance-*", "auditor"]\ndefault_action: allow\nrules: []\n`);
    expect(evaluator.evaluate({ tool_name: 'x', agent: { id: 'finance-bot' } }).verdict).toBe('allow');
    expect(evaluator.evaluate({ tool_name: 'x', agent: { id: 'auditor' } }).verdict).toBe('allow');
    const d = evaluator.evaluate({ tool_name: 'x', agent: { id: 'marketing' } });
    expect(d).toMatchObject({ verdict: 'deny' });
    expect(d.reason).toMatch(/runtime_error:no_policy: no policy applies to agent 'marketing'/);
  });

  it('accepts an agent named by its id alone', () => {
    const evaluator = policy(`name: finance\nagents: ["finance-*"]\ndefault_action: allow\nrules:\n  - { name: no-bob, condition: "agent.id == 'finance-bob'", action: deny }\n`);
    expect(evaluator.evaluate({ tool_name: 'x', agent: 'finance-bot' }).verdict).toBe('allow');
    expect(evaluator.evaluate({ tool_name: 'x', agent: 'finance-bob' }).rule).toBe('no-bob');
    expect(evaluator.evaluate({ tool_name: 'x', agent: 'other' }).verdict).toBe('deny');
  });

  it('lets conditions read the agent', () => {
    const evaluator = policy(`name: rings\ndefault_action: allow\nrules:\n  - name: ring-3-no-writes\n    condition: "agent.ring == 3 && action.type == 'write'"\n    action: deny\n`);
    expect(evaluator.evaluate({ tool_name: 'fs', action: 'write', agent: { id: 'a', ring: 3 } }).verdict).toBe('deny');
    expect(evaluator.evaluate({ tool_name: 'fs', action: 'write', agent: { id: 'a', ring: 1 } }).verdict).toBe('allow');
  });
});

describe('runtime errors count in the restrictive direction', () => {
  const evaluator = policy(`name: errors
default_action: allow
rules:
  - name: big-deletes
    condition: "args.rows > 100"
    action: deny
  - name: trusted-fast-path
    condition: "agent.trust > 900"
    action: allow
    priority: 50
`);

  it('a deny rule whose condition errors (missing field) counts as matched, and the error is listed', () => {
    const d = evaluator.evaluate({ tool_name: 'db', args: {} });
    expect(d).toMatchObject({ verdict: 'deny', rule: 'big-deletes' });
    expect(d.diagnostics.errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'condition_error', rule: 'big-deletes', message: expect.stringMatching(/No such key: rows/) })]),
    );
  });

  it('a deny rule whose condition errors on a type mismatch counts as matched', () => {
    expect(evaluator.evaluate({ tool_name: 'db', args: { rows: 'lots' }, agent: { id: 'a', trust: 100 } }).verdict).toBe('deny');
  });

  it('an allow rule whose condition errors counts as not matched', () => {
    const d = evaluator.evaluate({ tool_name: 'db', args: { rows: 1 }, agent: { id: 'a' } });
    expect(d).toMatchObject({ verdict: 'allow', rule: null });
    expect(d.diagnostics.errors.map((e) => e.rule)).toEqual(['trusted-fast-path']);
  });

  it('has() guards avoid the error entirely', () => {
    const guarded = policy(`name: g\ndefault_action: allow\nrules:\n  - name: big\n    condition: "has(args.rows) && args.rows > 100"\n    action: deny\n`);
    const d = guarded.evaluate({ tool_name: 'db', args: {} });
    expect(d.verdict).toBe('allow');
    expect(d.diagnostics.errors).toEqual([]);
  });
});

describe('conflict strategies', () => {
  const rules = `rules:
  - name: allow-reads
    condition: "action.type == 'read'"
    action: allow
    priority: 10
  - name: deny-pii
    condition: "has(args.table) && args.table == 'pii'"
    action: deny
    priority: 5
  - name: warn-reads
    condition: "action.type == 'read'"
    action: warn
    priority: 1
`;
  const request = { tool_name: 'db', action: 'read', args: { table: 'pii' } };

  it('deny_overrides (the default): any deny wins', () => {
    expect(policy(`name: p\ndefault_action: allow\n${rules}`).evaluate(request).rule).toBe('deny-pii');
  });

  it('allow_overrides: any allow wins', () => {
    expect(policy(`name: p\ndefault_action: allow\nconflict_strategy: allow_overrides\n${rules}`).evaluate(request).rule).toBe('allow-reads');
  });

  it('priority_first_match: the highest priority wins whatever it says', () => {
    expect(policy(`name: p\ndefault_action: allow\nconflict_strategy: priority_first_match\n${rules}`).evaluate(request).rule).toBe('allow-reads');
    expect(policy(`name: p\ndefault_action: allow\nconflict_strategy: priority_first_match\n${rules}`).evaluate({ ...request, args: {} }).rule).toBe('allow-reads');
  });

  it('deny_overrides ranks verdicts: deny > require_approval > transform > warn > log > allow', () => {
    const evaluator = policy(`name: p\ndefault_action: allow
rules:
  - { name: a, action: allow, priority: 9 }
  - { name: l, action: log, priority: 8 }
  - { name: w, action: warn, priority: 7 }
  - { name: t, action: transform, redact: [secret], priority: 6 }
  - { name: r, action: require_approval, priority: 5, condition: "has(args.ask)" }
`);
    expect(evaluator.evaluate({ tool_name: 'x', args: { ask: true } }).rule).toBe('r');
    expect(evaluator.evaluate({ tool_name: 'x' })).toMatchObject({ rule: 't', verdict: 'transform', allowed: true, transform: { redact: ['secret'], set: {} } });
  });

  it('breaks ties deterministically: higher priority, then document order, then rule order', () => {
    const evaluator = policy(`name: p\ndefault_action: allow\nrules:\n  - { name: first, action: deny, message: one }\n  - { name: second, action: deny, message: two }\n`);
    for (let i = 0; i < 5; i++) expect(evaluator.evaluate({ tool_name: 'x' }).rule).toBe('first');
  });

  it('lets the evaluator option override the documents', () => {
    const evaluator = policy(`name: p\ndefault_action: allow\n${rules}`, { conflictStrategy: 'allow_overrides' });
    expect(evaluator.evaluate(request).rule).toBe('allow-reads');
  });

  it('merges every matched transform under deny_overrides', () => {
    const evaluator = policy(`name: p\ndefault_action: allow
rules:
  - { name: hide-ssn, action: transform, redact: [ssn], priority: 2 }
  - { name: hide-card, action: transform, redact: [card], set: { masked: true }, priority: 1 }
`);
    expect(evaluator.evaluate({ tool_name: 'x' }).transform).toEqual({ redact: ['ssn', 'card'], set: { masked: true } });
  });
});

describe('rate limits: stated by the evaluator, applied after it', () => {
  const LIMITS = `name: limits\ndefault_action: deny\nrules:
  - { name: search-budget, condition: "tool_name == 'search'", action: allow, limit: "3/minute" }
  - { name: mail-budget, condition: "tool_name == 'mail'", action: require_approval, approvers: [ops], limit: "1/hour" }
  - { name: mail-log, condition: "tool_name == 'mail'", action: log, limit: "5/minute", priority: 1 }
  - { name: no-drop, condition: "action.type == 'drop'", action: deny, limit: "1/day" }\n`;
  const make = () => {
    let now = 1_000_000;
    const evaluator = policy(LIMITS);
    const limiter = new RateLimiter(new MemorySlidingWindowStore(), () => now);
    return { evaluator, decide: (request: unknown) => evaluateWithLimits(evaluator, limiter, request), advance: (ms: number) => (now += ms) };
  };

  it('never counts: the evaluator is pure, its decisions never say rateLimited', () => {
    const evaluator = policy(LIMITS);
    for (let i = 0; i < 10; i++) {
      expect(evaluator.evaluate({ tool_name: 'search', agent: { id: 'a' } })).toMatchObject({ verdict: 'allow', rateLimited: false, retryAfterMs: null });
    }
  });

  it('rateLimitsOf names the limits of the matched rules, in match order', () => {
    const evaluator = policy(LIMITS);
    expect(evaluator.rateLimitsOf(evaluator.evaluate({ tool_name: 'search' }))).toEqual([{ policy: 'limits', rule: 'search-budget', count: 3, windowMs: 60_000, text: '3/minute' }]);
    expect(evaluator.rateLimitsOf(evaluator.evaluate({ tool_name: 'mail' })).map((l) => l.rule)).toEqual(['mail-log', 'mail-budget']);
    expect(evaluator.rateLimitsOf(evaluator.evaluate({ tool_name: 'other' }))).toEqual([]);
    const unlimited = policy(`name: p\ndefault_action: allow\nrules:\n  - { name: r, action: allow }\n`);
    expect(unlimited.rateLimitsOf(unlimited.evaluate({ tool_name: 'x' }))).toEqual([]);
  });

  it('allows up to the limit in a sliding window, then denies with rateLimited and retryAfterMs', () => {
    const { decide, advance } = make();
    const verdicts: string[] = [];
    for (let i = 0; i < 3; i++) {
      verdicts.push(decide({ tool_name: 'search', agent: { id: 'a' } }).verdict);
      advance(10_000);
    }
    const limited = decide({ tool_name: 'search', agent: { id: 'a' } });
    expect(verdicts).toEqual(['allow', 'allow', 'allow']);
    expect(limited).toMatchObject({ verdict: 'deny', allowed: false, rateLimited: true, rule: 'search-budget', policy: 'limits', retryAfterMs: 30_000 });
    expect(limited.reason).toMatch(/3\/minute/);
    advance(30_000); // the first call leaves the window
    expect(decide({ tool_name: 'search', agent: { id: 'a' } }).verdict).toBe('allow');
    expect(decide({ tool_name: 'search', agent: { id: 'a' } }).rateLimited).toBe(true);
  });

  it('keeps a separate window per agent, and denied calls do not use up the budget', () => {
    const { decide, advance } = make();
    for (let i = 0; i < 10; i++) decide({ tool_name: 'search', agent: { id: 'a' } });
    expect(decide({ tool_name: 'search', agent: { id: 'b' } }).verdict).toBe('allow');
    advance(60_001);
    expect(decide({ tool_name: 'search', agent: { id: 'a' } }).verdict).toBe('allow');
  });

  it('counts a call that waits for approval, and a denied call against nothing', () => {
    const { decide } = make();
    expect(decide({ tool_name: 'mail', agent: 'a' })).toMatchObject({ verdict: 'require_approval', rateLimited: false });
    expect(decide({ tool_name: 'mail', agent: 'a' })).toMatchObject({ verdict: 'deny', rateLimited: true, rule: 'mail-budget' });
    for (let i = 0; i < 3; i++) expect(decide({ tool_name: 'x', action: 'drop', agent: 'a' })).toMatchObject({ verdict: 'deny', rule: 'no-drop', rateLimited: false });
  });
});

describe('requests that cannot be decided are denied, never thrown', () => {
  const evaluator = PolicyEvaluator.fromYaml(SEED);
  const huge = { tool_name: 'x', args: { blob: 'a'.repeat(1024 * 1024 + 1) } };
  let deep: Record<string, unknown> = {};
  for (let i = 0; i < 70; i++) deep = { d: deep };
  const cyclic: Record<string, unknown> = { tool_name: 'x' };
  cyclic.args = { loop: cyclic };

  const trap = { tool_name: 'x', args: {} as Record<string, unknown> };
  Object.defineProperty(trap.args, 'secret', { enumerable: true, get: () => { throw new Error('boom'); } });
  const proxy = new Proxy({ tool_name: 'x' }, { getPrototypeOf: () => { throw new Error('trap'); } });

  it.each([
    ['with a getter that throws', trap],
    ['a proxy whose traps throw', proxy],
    ['over 1 MiB', huge],
    ['over 64 levels deep', { tool_name: 'x', args: deep }],
    ['cyclic', cyclic],
    ['holding a BigInt', { tool_name: 'x', args: { n: 1n } }],
    ['holding a function', { tool_name: 'x', args: { f: () => 1 } }],
    ['holding NaN', { tool_name: 'x', args: { n: NaN } }],
    ['with a __proto__ key', JSON.parse('{"tool_name":"x","args":{"__proto__":{"isAdmin":true}}}')],
    ['not an object', 'drop table'],
    ['null', null],
    ['with a non-string tool name', { tool_name: 42 }],
    ['with args that are not an object', { tool_name: 'x', args: [1, 2] }],
  ])('%s', (_name, request) => {
    const d = evaluator.evaluate(request);
    expect(d).toMatchObject({ verdict: 'deny', allowed: false, rule: null });
    expect(d.reason).toMatch(/^runtime_error:invalid_request: /);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
