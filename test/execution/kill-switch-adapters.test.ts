import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { generateText, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { aiSdkGovernance } from '../../src/adapters/ai-sdk.js';
import { governMcpServer } from '../../src/adapters/mcp.js';
import { AuditLog } from '../../src/audit/audit-log.js';
import { AgentTerminatedError } from '../../src/execution/in-flight.js';
import { PolicyEvaluator } from '../../src/policy/index.js';
import { waitUntil } from './waits.js';

// The real AI SDK loop (generateText with its mock model) and the real MCP client and server:
// the tool's signal is one signal that aborts on the framework's own (the caller cancelled) or
// on a kill of the agent.
const policy = PolicyEvaluator.fromYaml(`apiVersion: governance.toolkit/v1
name: kill-ai-sdk
default_action: allow
rules: []
`);

type Content = Awaited<ReturnType<MockLanguageModelV3['doGenerate']>>['content'];
const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };

function scriptedModel(steps: Content[]): MockLanguageModelV3 {
  const queue = [...steps];
  return new MockLanguageModelV3({
    doGenerate: async () => {
      const content = queue.shift() ?? [{ type: 'text', text: 'done' }];
      const calls = content.some((part) => part.type === 'tool-call');
      return { content, finishReason: { unified: calls ? 'tool-calls' : 'stop', raw: undefined }, usage, warnings: [] };
    },
  });
}

/** A tool that waits until its abortSignal aborts, and tells the test which signal it got. */
function waitingTool(seen: (signal: AbortSignal) => void) {
  return tool({
    inputSchema: z.object({ job: z.string() }),
    execute: (_input, { abortSignal }) =>
      new Promise<string>((_, reject) => {
        const signal = abortSignal as AbortSignal;
        seen(signal);
        signal.addEventListener('abort', () => reject(signal.reason as Error));
      }),
  });
}

const until = (check: () => boolean, ms = 2_000): Promise<void> => waitUntil(check, ms, 5);

const toolCall = { type: 'tool-call' as const, toolCallId: 'c1', toolName: 'crunch', input: JSON.stringify({ job: 'x' }) };

describe('kill(): the AI SDK adapter', () => {
  it('a kill aborts the running tool through its abortSignal; the model reads the refusal', async () => {
    const audit = new AuditLog();
    const governance = aiSdkGovernance({ policy, audit, agent: 'sdk-agent' });
    let signal: AbortSignal | undefined;
    const sdk = new AbortController();
    const generation = generateText({ model: scriptedModel([[toolCall]]), tools: governance.tools({ crunch: waitingTool((s) => (signal = s)) }), prompt: 'go', abortSignal: sdk.signal });
    await until(() => signal !== undefined);
    const report = await governance.governor.kernel.kill('sdk-agent', { reason: 'test' });
    expect(report).toMatchObject({ terminated: true, aborted: 1 });
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(AgentTerminatedError);
    expect(sdk.signal.aborted).toBe(false); // the SDK's own signal is not touched
    const result = await generation;
    const error = result.steps[0]?.content.find((part) => part.type === 'tool-error');
    expect(String((error as { error?: unknown } | undefined)?.error)).toMatch(/lifecycle:terminated: agent 'sdk-agent' was killed/);
  });

  it("the SDK's own abort reaches the tool too, as the SDK's abort (not a kill)", async () => {
    const governance = aiSdkGovernance({ policy, audit: false, agent: 'sdk-agent-2' });
    let signal: AbortSignal | undefined;
    const sdk = new AbortController();
    const generation = generateText({ model: scriptedModel([[toolCall]]), tools: governance.tools({ crunch: waitingTool((s) => (signal = s)) }), prompt: 'go', abortSignal: sdk.signal });
    await until(() => signal !== undefined);
    expect(signal).not.toBe(sdk.signal); // combined with the kernel's
    sdk.abort(new Error('user pressed stop'));
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toEqual(new Error('user pressed stop'));
    // The tool's error is decided like any tool error (a ToolFailed the model reads), not a kill.
    const result = await generation;
    const error = (result.steps[0]?.content.find((part) => part.type === 'tool-error') as { error?: { code?: string } } | undefined)?.error;
    expect(error?.code).toBe('ERR_AGT_TOOL_FAILED');
    await until(() => governance.governor.kernel.killSwitch.inFlight.size === 0);
    expect(governance.governor.kernel.killSwitch.isKilled('sdk-agent-2')).toBe(false);
  });
});

/** A governed MCP server whose one tool waits for its signal, and the SDK's client connected in memory. */
async function mcpPair(agent: string) {
  const server = new McpServer({ name: 'governed', version: '1.0.0' });
  const governor = governMcpServer(server, { policy, audit: false, agent });
  const signals: AbortSignal[] = [];
  server.registerTool('crunch', { inputSchema: { job: z.string() } }, (_args, extra) => {
    signals.push(extra.signal);
    return new Promise<CallToolResult>((_, reject) => extra.signal.addEventListener('abort', () => reject(extra.signal.reason as Error)));
  });
  const client = new Client({ name: 'host', version: '1.0.0' });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return { governor, client, signals };
}

describe('kill(): the MCP adapter', () => {
  it("a kill aborts the handler's extra.signal; the client reads the refusal", async () => {
    const { governor, client, signals } = await mcpPair('mcp-agent');
    const call = client.callTool({ name: 'crunch', arguments: { job: 'x' } });
    await until(() => signals.length === 1);
    expect((await governor.kernel.kill('mcp-agent')).terminated).toBe(true);
    expect(signals[0]?.reason).toBeInstanceOf(AgentTerminatedError);
    const result = (await call) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toMatch(/lifecycle:terminated/);
    await client.close();
  });

  it("the client's cancellation still reaches the handler, combined with the kernel's signal", async () => {
    const { governor, client, signals } = await mcpPair('mcp-agent-2');
    const cancel = new AbortController();
    const call = client.callTool({ name: 'crunch', arguments: { job: 'x' } }, undefined, { signal: cancel.signal });
    call.catch(() => undefined);
    await until(() => signals.length === 1);
    cancel.abort(new Error('host cancelled'));
    await expect(call).rejects.toThrow();
    await until(() => signals[0]?.aborted === true);
    expect(signals[0]?.reason).not.toBeInstanceOf(AgentTerminatedError);
    await until(() => governor.kernel.killSwitch.inFlight.size === 0);
    await client.close();
  });
});
