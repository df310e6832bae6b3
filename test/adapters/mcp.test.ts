import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { governMcpServer, mcpElicitationApprovals, REFUSAL_META_KEY } from '../../src/adapters/mcp.js';
import type { ApprovalHandler } from '../../src/index.js';
import { CUSTOMER, governanceFixture, ToolSpy, trail } from './fixtures.js';

/** A governed MCP server with the fixture's tools, and the SDK's real client connected in memory. */
async function connect(approvals?: ApprovalHandler | 'elicitation', client = new Client({ name: 'host', version: '1.0.0' })) {
  const { evaluator, audit } = governanceFixture();
  const spy = new ToolSpy();
  const server = new McpServer({ name: 'governed', version: '1.0.0' });
  const resolved = approvals === 'elicitation' ? mcpElicitationApprovals(server) : approvals;
  governMcpServer(server, { policy: evaluator, audit, agent: 'mcp-agent', ...(resolved ? { approvals: resolved } : {}) });
  const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });
  server.registerTool('search', { inputSchema: { query: z.string() } }, (args) => {
    spy.saw('search', args);
    return text(`results for ${args.query}`);
  });
  server.registerTool('drop_table', { inputSchema: { table: z.string() } }, (args) => {
    spy.saw('drop_table', args);
    return text('dropped');
  });
  server.registerTool('send_email', { inputSchema: { to: z.string(), body: z.string() } }, (args) => {
    spy.saw('send_email', args);
    return text(`sent to ${args.to}`);
  });
  server.registerTool('call_api', { inputSchema: { url: z.string(), api_key: z.string() } }, (args) => {
    spy.saw('call_api', args);
    return text(`called ${args.url} with key ${args.api_key}`);
  });
  server.registerTool(
    'lookup_customer',
    { inputSchema: { id: z.string() }, outputSchema: { id: z.string(), name: z.string(), ssn: z.string() } },
    (args) => {
      spy.saw('lookup_customer', args);
      return { content: [{ type: 'text', text: `found customer ${CUSTOMER.name}` }], structuredContent: { ...CUSTOMER } };
    },
  );
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return { client, server, spy, audit };
}

/** A host loop: a scripted model asks for tools, the host calls them over MCP and feeds back what came. */
async function runAgent(client: Client, script: Array<{ name: string; arguments: Record<string, unknown> }>) {
  const seen: Array<{ name: string; isError: boolean; text: string; result: CallToolResult }> = [];
  for (const step of script) {
    const result = (await client.callTool(step)) as CallToolResult;
    const first = result.content[0];
    seen.push({ name: step.name, isError: result.isError === true, text: first?.type === 'text' ? first.text : '', result });
  }
  return seen;
}

describe('governMcpServer', () => {
  it('runs an allowed call, and a denied call never reaches the tool: the model reads an isError result', async () => {
    const { client, spy, audit } = await connect();
    const [search, drop] = await runAgent(client, [
      { name: 'search', arguments: { query: 'invoices' } },
      { name: 'drop_table', arguments: { table: 'users' } },
    ]);
    expect(search).toMatchObject({ isError: false, text: 'results for invoices' });
    expect(drop).toMatchObject({ isError: true, text: "Action denied by policy rule 'block-drop': Dropping tables is not allowed" });
    expect(drop?.result._meta?.[REFUSAL_META_KEY]).toMatchObject({ denied: true, verdict: 'deny', rule: 'block-drop', policy: 'adapter-test' });
    expect(spy.ran('drop_table')).toEqual([]);
    expect(trail(audit)).toEqual(['pre_tool search allow', 'post_tool search allow', 'pre_tool drop_table deny']);
  });

  it('holds require_approval for the approver: approved runs, denied does not, both outcomes audited', async () => {
    const approvals: ApprovalHandler = (request) => ((request.args?.to as string).endsWith('@example.com') ? 'approved' : 'denied');
    const { client, spy, audit } = await connect(approvals);
    const [ok, refused] = await runAgent(client, [
      { name: 'send_email', arguments: { to: 'ada@example.com', body: 'hi' } },
      { name: 'send_email', arguments: { to: 'eve@evil.test', body: 'secrets' } },
    ]);
    expect(ok).toMatchObject({ isError: false, text: 'sent to ada@example.com' });
    expect(refused).toMatchObject({ isError: true });
    expect(refused?.text).toContain('approval denied (approvers: security-team)');
    expect(spy.ran('send_email')).toEqual([{ to: 'ada@example.com', body: 'hi' }]);
    expect(trail(audit)).toEqual([
      'pre_tool send_email require_approval',
      'pre_tool send_email allow',
      'post_tool send_email allow',
      'pre_tool send_email require_approval',
      'pre_tool send_email deny',
    ]);
  });

  it('asks the client’s user through MCP elicitation: accepted runs, declined does not', async () => {
    const answers = [{ action: 'accept', content: { approve: true } }, { action: 'decline' }];
    const asked: string[] = [];
    const client = new Client({ name: 'host', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return answers.shift() as never;
    });
    const { spy, audit } = await connect('elicitation', client);
    const [ok, refused] = await runAgent(client, [
      { name: 'send_email', arguments: { to: 'ada@example.com', body: 'hi' } },
      { name: 'send_email', arguments: { to: 'eve@evil.test', body: 'secrets' } },
    ]);
    expect(asked[0]).toContain("Approve the call to 'send_email' by policy rule 'approve-email' (approvers: security-team)?");
    expect(ok).toMatchObject({ isError: false, text: 'sent to ada@example.com' });
    expect(refused?.isError).toBe(true);
    expect(spy.ran('send_email')).toEqual([{ to: 'ada@example.com', body: 'hi' }]);
    expect(trail(audit)).toEqual([
      'pre_tool send_email require_approval',
      'pre_tool send_email allow',
      'post_tool send_email allow',
      'pre_tool send_email require_approval',
      'pre_tool send_email deny',
    ]);
  });

  it('denies with the reason when the client cannot be asked (no elicitation capability)', async () => {
    const { client, spy } = await connect('elicitation');
    const [held] = await runAgent(client, [{ name: 'send_email', arguments: { to: 'ada@example.com', body: 'hi' } }]);
    expect(held?.isError).toBe(true);
    expect(held?.text).toContain('Client does not support form elicitation');
    expect(spy.ran('send_email')).toEqual([]);
  });

  it('denies require_approval when no approver is configured', async () => {
    const { client, spy } = await connect();
    const [held] = await runAgent(client, [{ name: 'send_email', arguments: { to: 'ada@example.com', body: 'hi' } }]);
    expect(held?.isError).toBe(true);
    expect(held?.text).toContain('no approver is configured');
    expect(spy.ran('send_email')).toEqual([]);
  });

  it('rewrites the arguments before the tool sees them, and redacts the result before the client does', async () => {
    const { client, spy, audit } = await connect();
    const [api, lookup] = await runAgent(client, [
      { name: 'call_api', arguments: { url: 'https://api.test', api_key: 'sk-live-123' } },
      { name: 'lookup_customer', arguments: { id: 'c-1' } },
    ]);
    expect(spy.ran('call_api')).toEqual([{ url: 'https://api.test', api_key: '[REDACTED]' }]);
    expect(api?.text).toBe('called https://api.test with key [REDACTED]');
    expect(lookup?.result.structuredContent).toEqual({ id: 'c-1', name: 'Ada', ssn: '[REDACTED]' });
    expect(JSON.stringify(lookup?.result)).not.toContain(CUSTOMER.ssn);
    expect(trail(audit)).toEqual([
      'pre_tool call_api transform',
      'post_tool call_api allow',
      'pre_tool lookup_customer allow',
      'post_tool lookup_customer transform',
    ]);
    expect(audit.verify().ok).toBe(true);
  });

  it('redacts the text mirror of structuredContent too, and any other text block that quotes a redacted value', async () => {
    const { evaluator, audit } = governanceFixture();
    const server = new McpServer({ name: 'governed', version: '1.0.0' });
    governMcpServer(server, { policy: evaluator, audit });
    const outputSchema = { id: z.string(), name: z.string(), ssn: z.string() };
    // As the MCP spec says a tool SHOULD: the structured result, and its serialization as text.
    server.registerTool('lookup_customer', { inputSchema: { id: z.string() }, outputSchema }, () => ({
      content: [
        { type: 'text', text: JSON.stringify(CUSTOMER) },
        { type: 'text', text: JSON.stringify(CUSTOMER, null, 2) },
        { type: 'text', text: `Ada's ssn is ${CUSTOMER.ssn}.` },
        { type: 'text', text: 'nothing to hide' },
      ],
      structuredContent: { ...CUSTOMER },
    }));
    const client = new Client({ name: 'host', version: '1.0.0' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    await client.connect(clientSide);
    const result = (await client.callTool({ name: 'lookup_customer', arguments: { id: 'c-1' } })) as CallToolResult;
    const redacted = { id: 'c-1', name: 'Ada', ssn: '[REDACTED]' };
    expect(result.structuredContent).toEqual(redacted);
    expect(result.content).toEqual([
      { type: 'text', text: JSON.stringify(redacted) },
      { type: 'text', text: JSON.stringify(redacted, null, 2) },
      { type: 'text', text: "Ada's ssn is [REDACTED]." },
      { type: 'text', text: 'nothing to hide' },
    ]);
    expect(JSON.stringify(result)).not.toContain(CUSTOMER.ssn);
  });

  it('answers malformed arguments with a deny or a tool error, never a crash', async () => {
    const { client, spy, audit } = await connect();
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 80; i++) deep = { deep };
    const [tooDeep, wrongType, unknownTool] = await runAgent(client, [
      { name: 'search', arguments: { query: 'x', deep } },
      { name: 'search', arguments: { query: 42 } },
      { name: 'no_such_tool', arguments: {} },
    ]);
    expect(tooDeep?.isError).toBe(true);
    expect(tooDeep?.text).toContain('runtime_error:invalid_request');
    // Allowed by policy, then refused by the SDK's own schema check: the tool does not run.
    expect(wrongType?.isError).toBe(true);
    expect(unknownTool).toMatchObject({ isError: true });
    expect(unknownTool?.text).toContain('default_action');
    expect(spy.ran('search')).toEqual([]);
    // Arguments that are not an object are refused by the protocol layer; the server keeps serving.
    await expect(client.request({ method: 'tools/call', params: { name: 'search', arguments: 'oops' } } as never, {} as never)).rejects.toThrow();
    const [after] = await runAgent(client, [{ name: 'search', arguments: { query: 'still up' } }]);
    expect(after?.text).toBe('results for still up');
    // The SDK's schema refusal of the wrongly typed call is itself checked as the tool's result (post_tool).
    expect(trail(audit)).toEqual(['pre_tool search deny', 'pre_tool search allow', 'post_tool search allow', 'pre_tool no_such_tool deny', 'pre_tool search allow', 'post_tool search allow']);
  });

  it('refuses to govern a server whose tools are already registered', () => {
    const { evaluator } = governanceFixture();
    const server = new McpServer({ name: 'late', version: '1.0.0' });
    server.registerTool('search', { inputSchema: { query: z.string() } }, () => ({ content: [] }));
    expect(() => governMcpServer(server, { policy: evaluator, audit: false })).toThrow(/before the first tool is registered/);
  });
});
