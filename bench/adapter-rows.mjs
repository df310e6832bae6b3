// Bench rows for the framework adapters: the overhead each adapter adds over calling the tool
// bare, through the same framework entry points an agent loop uses (no model, no transport).
// Governed and bare calls run interleaved in one pair() call; overhead = p50(governed) - p50(bare).
// Policy: one allow rule for the tool, default deny, in-memory audit (as the govern() row).
// Called by run.mjs with its harness.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { tool as aiTool } from 'ai';
import { RunContext, tool as openAiTool } from '@openai/agents';
import { AIMessage, ToolMessage } from 'langchain';
import { RequestContext } from '@mastra/core/request-context';
import { createTool } from '@mastra/core/tools';
import { z } from 'zod';
import { AuditLog, PolicyEvaluator } from '../dist/index.js';
import { governMcpServer } from '../dist/adapters/mcp.js';
import { aiSdkGovernance } from '../dist/adapters/ai-sdk.js';
import { openAiAgentsGovernance } from '../dist/adapters/openai-agents.js';
import { langchainGovernance } from '../dist/adapters/langchain.js';
import { mastraGovernance } from '../dist/adapters/mastra.js';

const TARGET_US = 10;
const args = { q: 1 };

function fixture() {
  const evaluator = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: adapter-bench
default_action: deny
rules:
  - { name: allow-noop, condition: "tool_name == 'noop'", action: allow }
`);
  return { policy: evaluator, audit: new AuditLog(), agent: 'bench' };
}

/** The tools/call handler an McpServer installs (governed or not), captured as the SDK registers it. */
function mcpToolsCallHandler(governed) {
  const server = new McpServer({ name: 'bench', version: '1.0.0' });
  let handler;
  const install = server.server.setRequestHandler.bind(server.server);
  server.server.setRequestHandler = (schema, h) => {
    if (schema === CallToolRequestSchema) handler = h;
    return install(schema, h);
  };
  const options = fixture();
  if (governed) governMcpServer(server, options);
  server.registerTool('noop', { inputSchema: { q: z.number() } }, async (a) => ({ content: [{ type: 'text', text: String(a.q) }] }));
  return { handler, audit: options.audit };
}

async function mcpPair() {
  const governed = mcpToolsCallHandler(true);
  const bare = mcpToolsCallHandler(false);
  const request = { method: 'tools/call', params: { name: 'noop', arguments: args } };
  const extra = { signal: new AbortController().signal, requestId: 1, sendNotification: async () => {}, sendRequest: async () => {} };
  const check = (r) => (r.isError ? Promise.reject(new Error(`mcp: ${r.content[0].text}`)) : 1);
  return {
    audit: governed.audit,
    what: 'MCP: tools/call handler (SDK validation + tool), governed vs bare',
    ours: async () => check(await governed.handler(request, extra)),
    bare: async () => check(await bare.handler(request, extra)),
  };
}

async function aiSdkPair() {
  const options = fixture();
  const governance = aiSdkGovernance(options);
  const bare = { noop: aiTool({ inputSchema: z.object({ q: z.number() }), execute: async (a) => a.q }) };
  const tools = governance.tools(bare);
  const callOptions = { toolCallId: 'c1', messages: [] };
  return {
    audit: options.audit,
    what: 'AI SDK: needsApproval + execute, governed vs bare execute',
    ours: async () => {
      if (await tools.noop.needsApproval(args, callOptions)) throw new Error('ai-sdk: unexpected approval');
      return tools.noop.execute(args, callOptions);
    },
    bare: () => bare.noop.execute(args, callOptions),
  };
}

async function openAiAgentsPair() {
  const options = fixture();
  const governance = openAiAgentsGovernance(options);
  const toolOptions = { name: 'noop', description: 'noop', parameters: z.object({ q: z.number() }), execute: async (a) => a.q };
  const governed = governance.tool(toolOptions);
  const bare = openAiTool(toolOptions);
  const context = new RunContext();
  const toolCall = { type: 'function_call', callId: 'c1', name: 'noop', arguments: JSON.stringify(args), status: 'completed' };
  const details = { toolCall };
  const allowed = (r) => (r.behavior.type === 'allow' ? 1 : Promise.reject(new Error('openai-agents: guardrail rejected')));
  return {
    audit: options.audit,
    what: 'OpenAI Agents: needsApproval + input guardrail + invoke + output guardrail, governed vs bare invoke',
    ours: async () => {
      if (await governed.needsApproval(context, args, 'c1')) throw new Error('openai-agents: unexpected approval');
      await allowed(await governance.inputGuardrail.run({ context, agent: undefined, toolCall }));
      const output = await governed.invoke(context, toolCall.arguments, details);
      await allowed(await governance.outputGuardrail.run({ context, agent: undefined, toolCall, output }));
      return output;
    },
    bare: () => bare.invoke(context, toolCall.arguments, details),
  };
}

async function langchainPair() {
  const options = fixture();
  const middleware = langchainGovernance(options);
  const toolCall = { name: 'noop', args, id: 'c1', type: 'tool_call' };
  const state = { messages: [new AIMessage({ content: '', tool_calls: [toolCall] })] };
  const request = { toolCall, tool: undefined, state: { messages: [] }, runtime: {} };
  const handler = async (req) => new ToolMessage({ content: String(req.toolCall.args.q), tool_call_id: req.toolCall.id });
  const afterModel = typeof middleware.afterModel === 'function' ? middleware.afterModel : middleware.afterModel.hook;
  return {
    audit: options.audit,
    what: 'LangChain: afterModel (decide the turn) + wrapToolCall, governed vs bare tool handler',
    ours: async () => {
      await afterModel(state, {});
      const message = await middleware.wrapToolCall(request, handler);
      return message.status === 'error' ? Promise.reject(new Error(`langchain: ${message.content}`)) : 1;
    },
    bare: async () => (await handler(request), 1),
  };
}

async function mastraPair() {
  const options = fixture();
  const governance = mastraGovernance(options);
  const toolOptions = { id: 'noop', description: 'noop', inputSchema: z.object({ q: z.number() }), execute: async (input) => input.q };
  const governed = governance.tool(toolOptions);
  const bare = createTool(toolOptions);
  // Mastra 1.x: execute(input, context), the call id under context.agent.
  const context = { requestContext: new RequestContext(), agent: { agentId: 'bench', toolCallId: 'c1', messages: [], suspend: async () => {} } };
  return {
    audit: options.audit,
    what: 'Mastra: tool execute, governed vs bare',
    ours: () => governed.execute(args, context),
    bare: () => bare.execute(args, context),
  };
}

export async function adapterRows({ pair, progress, rows }) {
  for (const make of [mcpPair, aiSdkPair, openAiAgentsPair, langchainPair, mastraPair]) {
    const fixturePair = await make();
    progress(`${fixturePair.what.split(':')[0]} adapter ...`);
    await fixturePair.ours();
    await fixturePair.bare();
    const r = await pair({ ours: fixturePair.ours, peer: fixturePair.bare, n: 40_000, warm: 5000, async: true });
    if (!fixturePair.audit.verify().ok) throw new Error(`${fixturePair.what}: audit chain does not verify`);
    const overheadNs = r.ours.p50Ns - r.peer.p50Ns;
    rows.push({
      what: `${fixturePair.what} (bare p50 ${(r.peer.p50Ns / 1e3).toFixed(1)} us; adapter overhead p50 ${(overheadNs / 1e3).toFixed(1)} us)`,
      ours: r.ours, peer: null, by: 'p50',
      bare: r.peer, overheadNs,
      target: `overhead p50 <= ${TARGET_US} us`,
      met: overheadNs <= TARGET_US * 1e3,
    });
  }
}
