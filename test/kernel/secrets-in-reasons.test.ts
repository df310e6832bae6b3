import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/audit-log.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { loadPoliciesSync } from '../../src/policy/loader.js';

// Reasons are logged and audited; a request's keys and values may be secrets. Every refusal path
// must name what is wrong by structure and kind, never by the request's own text.
const SECRET = 'sk_live_51HxSECRETxKEYx4111';
const SECRET_NUMBER = 4111111111.11111;
const FIXTURES = join(import.meta.dirname, '../fixtures/engines');

class SecretShape {}
Object.defineProperty(SecretShape, 'name', { value: SECRET });

function throwing(): Record<string, unknown> {
  return Object.defineProperty({}, SECRET, {
    enumerable: true,
    get() {
      throw new Error(`${SECRET} leaked by a getter`);
    },
  });
}

function cyclic(): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  o[SECRET] = o;
  return o;
}

const cases: [string, Record<string, unknown>][] = [
  ['a bigint under a secret key', { tool: 'db', args: { [SECRET]: 1n } }],
  ['a function under a secret key', { tool: 'db', args: { nested: [{ [SECRET]: () => 0 }] } }],
  ['NaN under a secret key', { tool: 'db', args: { [SECRET]: Number.NaN } }],
  ['a class instance named like a secret', { tool: 'db', args: { [SECRET]: new SecretShape() } }],
  ['an own constructor that names a secret', { tool: 'db', args: { x: Object.create({ constructor: { name: SECRET } }) as unknown } }],
  ['a getter that throws a secret', { tool: 'db', args: throwing() }],
  ['a cycle through a secret key', { tool: 'db', args: { a: cyclic() } }],
  ['a __proto__ key under a secret key', { tool: 'db', args: { [SECRET]: JSON.parse('{"__proto__": {"x": 1}}') as unknown } }],
  ['a proxy under a secret key', { tool: 'db', args: { [SECRET]: new Proxy({}, {}) } }],
  ['a huge string under a secret key', { tool: 'db', args: { [SECRET]: 'x'.repeat(1_100_000) } }],
  ['a huge secret-looking string', { tool: 'db', args: { k: SECRET.repeat(50_000) } }],
  ['a sparse array under a secret key', { tool: 'db', args: { [SECRET]: new Array(2 ** 32 - 1) } }],
  ['too deep under a secret key', { tool: 'db', args: { [SECRET]: deep(80) } }],
  ['a secret as the point', { point: SECRET, tool: 'db' }],
  ['a secret in the context', { tool: 'db', context: { [SECRET]: 10n } }],
  ['a secret in the agent', { tool: 'db', agent: { id: 'a', [SECRET]: Symbol('s') } }],
  ['a secret in the content', { point: 'post_tool', tool: 'db', content: { [SECRET]: 1n } }],
  ['a number Cedar cannot represent under a secret key', { tool: 'db', action: 'read', args: { [SECRET]: SECRET_NUMBER } }],
  ['a Cedar escape under a secret key', { tool: 'db', action: 'read', args: { [SECRET]: { __entity: { type: 'Agent', id: SECRET } } } }],
];

function deep(levels: number): unknown {
  let value: unknown = SECRET;
  for (let i = 0; i < levels; i++) value = { [SECRET]: value };
  return value;
}

describe('reasons never carry request-supplied keys or values', () => {
  it.each(cases)('%s', async (_name, action) => {
    const audit = new AuditLog();
    const kernel = new Kernel({ policy: loadPoliciesSync(join(FIXTURES, 'support-cedar.yaml')), audit });
    const outcome = await kernel.handle(action as never, () => 'ran');
    expect(outcome.kind).toBe('refused');
    if (outcome.kind !== 'refused') return;
    const reason = outcome.decision.reason ?? '';
    expect(reason).not.toBe('');
    for (const text of [reason, JSON.stringify(outcome.decision.diagnostics)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('sk_live');
      expect(text).not.toContain('4111111111');
    }
    const entries = audit.entries();
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      const text = JSON.stringify(entry);
      expect(text).not.toContain('sk_live');
      expect(text).not.toContain('4111111111');
    }
  }, 5000);

  it('the evaluator alone says the same without the text', () => {
    const evaluator = loadPoliciesSync(join(FIXTURES, 'support-cedar.yaml'));
    for (const request of [
      { stage: SECRET },
      { tool_name: 'db', args: { [SECRET]: 1n } },
      { tool_name: 'db', args: throwing() },
      { tool_name: 'db', args: { a: cyclic() } },
      { tool_name: 'db', action: 'read', args: { [SECRET]: SECRET_NUMBER } },
    ]) {
      const decision = evaluator.evaluate(request);
      expect(decision.verdict).toBe('deny');
      expect(`${decision.reason} ${JSON.stringify(decision.diagnostics)}`).not.toContain('sk_live');
      expect(`${decision.reason}`).not.toContain('4111111111');
    }
  });
});
