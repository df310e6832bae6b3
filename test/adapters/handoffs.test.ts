import { Agent as MastraAgent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { Agent, run, setTracingDisabled, Usage, type Model, type ModelRequest, type ModelResponse } from '@openai/agents';
import { createAgent, FakeToolCallingModel, ToolMessage } from 'langchain';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { langchainHandoffTool } from '../../src/adapters/langchain.js';
import { mastraHandoffTool } from '../../src/adapters/mastra.js';
import { gatedHandoff } from '../../src/adapters/openai-agents.js';
import { handOff } from '../../src/adapters/index.js';
import { AuditLog, GovernanceDenied, PolicyEvaluator } from '../../src/index.js';
import { HandoffGate } from '../../src/kernel/handoff-gate.js';
import { handoffWorld, type HandoffWorld } from '../identity/handoff-fixtures.js';
import { scriptedMastraModel } from './mastra-model.js';

/** The receiving agent's policy: hand-offs of billing tasks are allowed, anything else is not. */
const RECEIVER_POLICY = `apiVersion: governance.toolkit/v1
name: billing-receiver
default_action: deny
rules:
  - name: billing-handoffs
    condition: "action.type == 'handoff' && tool_name.startsWith('billing.')"
    action: allow
`;

let world: HandoffWorld;
beforeAll(async () => {
  world = await handoffWorld();
  setTracingDisabled(true);
});

function gate() {
  const audit = new AuditLog();
  return { audit, gate: new HandoffGate({ ...world.options({ clock: Date.now }), policy: PolicyEvaluator.fromYaml(RECEIVER_POLICY), audit }) };
}

/** The trusted caller (trust 700) and an under-trusted one (trust 300, below the gate's 500). */
const trusted = () => ({ key: world.sender, chain: [world.senderCredential] });
const underTrusted = () => ({ key: world.other, chain: [world.lowTrustCredential] });

describe('plain API: handOff(source, gate, task, payload, run)', () => {
  it('runs the receiver for a trusted caller; refuses an under-trusted one, a seal for another agent and a replay, the receiver never running', async () => {
    const { gate: g, audit } = gate();
    const ran: unknown[] = [];
    const receiver = (payload: unknown) => (ran.push(payload), 'refunded');
    expect(await handOff(trusted(), g, 'billing.refund', { invoice: 'inv-1' }, receiver)).toEqual({ ok: true, output: 'refunded' });
    const low = await handOff(underTrusted(), g, 'billing.refund', { invoice: 'inv-2' }, receiver);
    expect(!low.ok && low.refusal.reason).toMatch(/^identity:insufficient_trust: the sender's trust 300 is below this gate's threshold 500/);
    const { sealHandoff } = await import('../../src/identity/handoff-seal.js');
    const forOther = sealHandoff(world.sender, { to: world.other.did, task: 'billing.refund', payload: {} }, { chain: [world.senderCredential] });
    const misaddressed = await handOff(() => forOther, g, 'billing.refund', {}, receiver);
    expect(!misaddressed.ok && misaddressed.refusal.reason).toMatch(/^identity:audience: /);
    const once = sealHandoff(world.sender, { to: g.receiver, task: 'billing.refund', payload: { invoice: 'inv-3' } }, { chain: [world.senderCredential] });
    expect((await handOff(() => once, g, 'billing.refund', {}, receiver)).ok).toBe(true);
    const replay = await handOff(() => once, g, 'billing.refund', {}, receiver);
    expect(!replay.ok && replay.refusal.reason).toMatch(/^identity:replayed: /);
    expect(ran).toEqual([{ invoice: 'inv-1' }, { invoice: 'inv-3' }]);
    expect(audit.entries().map((e) => e.verdict)).toEqual(['allow', 'deny', 'deny', 'allow', 'deny']);
  });
});

type OutputItem = ModelResponse['output'][number];
const say = (text: string): OutputItem => ({ type: 'message', id: `msg_${text.length}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text }] });

/** A scripted OpenAI Agents model that remembers every request it was sent. */
class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = [];
  constructor(private readonly turns: OutputItem[][]) {}
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    return { usage: new Usage(), output: this.turns.shift() ?? [say('out of script')], responseId: `resp_${this.requests.length}` };
  }
  // eslint-disable-next-line require-yield -- the tests do not stream
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not streamed in these tests');
  }
}

describe('OpenAI Agents: gatedHandoff(agent, { from, gate, task })', () => {
  function agents(from: ReturnType<typeof trusted>) {
    const { gate: g, audit } = gate();
    const billingModel = new ScriptedModel([[say('refund issued')]]);
    const billing = new Agent({ name: 'billing', model: billingModel, instructions: 'refunds' });
    const triageModel = new ScriptedModel([[{ type: 'function_call', id: 'fc_1', callId: 'h1', name: 'transfer_to_billing', arguments: '{}', status: 'completed' }]]);
    const triage = new Agent({ name: 'triage', model: triageModel, handoffs: [gatedHandoff(billing, { task: 'billing.refund', from, gate: g })] });
    return { triage, billingModel, audit };
  }

  it('a trusted hand-off switches to the receiving agent, recorded with the sender\'s DID', async () => {
    const { triage, billingModel, audit } = agents(trusted());
    const result = await run(triage, 'I want my money back');
    expect(result.finalOutput).toBe('refund issued');
    expect(billingModel.requests).toHaveLength(1);
    expect(audit.entries()[0]).toMatchObject({ tool: 'billing.refund', verdict: 'allow', identity: { subject: world.sender.did, proof: 'handoff' } });
  });

  it('a refused hand-off ends the run with GovernanceDenied; the receiving agent\'s model is never called', async () => {
    const { triage, billingModel, audit } = agents(underTrusted());
    const error = await run(triage, 'I want my money back').then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(GovernanceDenied);
    expect((error as GovernanceDenied).decision.reason).toMatch(/^identity:insufficient_trust: /);
    expect(billingModel.requests).toHaveLength(0);
    expect(audit.entries()[0]?.verdict).toBe('deny');
  });
});

describe('LangChain: langchainHandoffTool (a sub-agent called as a tool)', () => {
  function agents(from: ReturnType<typeof trusted>) {
    const { gate: g, audit } = gate();
    const subAgentRan: unknown[] = [];
    const subAgent = createAgent({ model: new FakeToolCallingModel({ toolCalls: [[]] }), tools: [] });
    const billing = langchainHandoffTool({
      name: 'billing', description: 'hand a refund to the billing agent', schema: z.object({ invoice: z.string() }), task: 'billing.refund', from, gate: g,
      run: async (payload) => {
        subAgentRan.push(payload);
        const result = await subAgent.invoke({ messages: [{ role: 'user', content: `refund ${String(payload.invoice)}` }] });
        return String(result.messages.at(-1)?.content);
      },
    });
    const caller = createAgent({ model: new FakeToolCallingModel({ toolCalls: [[{ name: 'billing', args: { invoice: 'inv-9' }, id: 'b1' }], []] }), tools: [billing] });
    return { caller, audit, subAgentRan };
  }
  const toolAnswer = (messages: unknown[]) => String((messages.find((m) => ToolMessage.isInstance(m)) as ToolMessage | undefined)?.content);

  it('a trusted caller\'s hand-off reaches the sub-agent, whose answer the caller\'s model reads', async () => {
    const { caller, audit, subAgentRan } = agents(trusted());
    const result = await caller.invoke({ messages: [{ role: 'user', content: 'refund inv-9' }] });
    expect(subAgentRan).toEqual([{ invoice: 'inv-9' }]);
    expect(toolAnswer(result.messages)).toContain('refund inv-9');
    expect(audit.entries()[0]).toMatchObject({ verdict: 'allow', identity: { subject: world.sender.did, proof: 'handoff' } });
  });

  it('a refused hand-off never reaches the sub-agent; the caller\'s model reads the refusal', async () => {
    const { caller, audit, subAgentRan } = agents(underTrusted());
    const result = await caller.invoke({ messages: [{ role: 'user', content: 'refund inv-9' }] });
    expect(subAgentRan).toEqual([]);
    expect(toolAnswer(result.messages)).toMatch(/identity:insufficient_trust/);
    expect(audit.entries()[0]?.verdict).toBe('deny');
  });
});


describe('Mastra: mastraHandoffTool (an agent used as a tool of another agent)', () => {
  function agents(from: ReturnType<typeof trusted>) {
    const { gate: g, audit } = gate();
    const receiving = scriptedMastraModel([[{ type: 'text', text: 'refund issued' }]]);
    const billing = new MastraAgent({ id: 'billing', name: 'billing', instructions: 'refunds', model: receiving.model });
    const tool = mastraHandoffTool({
      id: 'billing', description: 'hand a refund to the billing agent', inputSchema: z.object({ invoice: z.string() }), task: 'billing.refund', from, gate: g,
      run: async (payload) => (await billing.generate(`refund ${String(payload.invoice)}`)).text,
    });
    const calling = scriptedMastraModel([[{ type: 'tool-call', toolCallId: 'm1', toolName: 'billing', input: JSON.stringify({ invoice: 'inv-5' }) }], [{ type: 'text', text: 'done' }]]);
    const triage = new MastraAgent({ id: 'triage', name: 'triage', instructions: 'triage', model: calling.model, tools: { billing: tool } });
    new Mastra({ agents: { triage, billing }, storage: new InMemoryStore(), logger: false });
    return { triage, audit, receiving, calling };
  }

  it('a trusted hand-off runs the receiving agent, and its answer is the tool\'s result', async () => {
    const { triage, audit, receiving, calling } = agents(trusted());
    await triage.generate('refund inv-5', { maxSteps: 3 });
    expect(receiving.prompts).toHaveLength(1);
    expect(JSON.stringify(calling.prompts[1])).toContain('refund issued');
    expect(audit.entries()[0]).toMatchObject({ verdict: 'allow', identity: { subject: world.sender.did, proof: 'handoff' } });
  });

  it('a refused hand-off never runs the receiving agent; the calling model reads the refusal', async () => {
    const { triage, audit, receiving, calling } = agents(underTrusted());
    await triage.generate('refund inv-5', { maxSteps: 3 });
    expect(receiving.prompts).toHaveLength(0);
    expect(JSON.stringify(calling.prompts[1])).toContain('identity:insufficient_trust');
    expect(audit.entries()[0]?.verdict).toBe('deny');
  });
});
