// The README's MCP example, runnable offline: `node examples/mcp.mjs` (after `npm ci`).
// A governed MCP server and the SDK's own client, linked in memory; examples/policy.yaml decides,
// and require_approval asks the client's user through MCP elicitation.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AuditLog } from 'agent-governance-toolkit';
import { governMcpServer, mcpElicitationApprovals } from 'agent-governance-toolkit/mcp';

const policy = new URL('./policy.yaml', import.meta.url).pathname;
const audit = new AuditLog();
const [transport, clientSide] = InMemoryTransport.createLinkedPair();
const db = async ({ action, table }) => ({ content: [{ type: 'text', text: said(`db ${action} ${table}`, '42 rows') }] });
const sendEmail = async ({ to }) => ({ content: [{ type: 'text', text: said(`send_email to ${to}`, 'sent') }] });

// --- the README example ---------------------------------------------------------------------
const server = new McpServer({ name: 'crm', version: '1.0.0' });
governMcpServer(server, { policy, audit, approvals: mcpElicitationApprovals(server) });
server.registerTool('db', { inputSchema: { action: z.string(), table: z.string() } }, db);
server.registerTool('send_email', { inputSchema: { to: z.string(), body: z.string() } }, sendEmail);
await server.connect(transport);
// ---------------------------------------------------------------------------------------------

// The host: an MCP client whose user (a stand-in) answers the approval form.
const client = new Client({ name: 'host', version: '1.0.0' }, { capabilities: { elicitation: { form: {} } } });
client.setRequestHandler(ElicitRequestSchema, async (request) => {
  const yes = request.params.message.includes('@example.com');
  console.log(`human    ${yes ? 'approved' : 'rejected'} send_email`);
  return { action: 'accept', content: { approve: yes } };
});
await client.connect(clientSide);
for (const [name, args] of [['db', { action: 'read', table: 'users' }], ['db', { action: 'drop', table: 'users' }], ['send_email', { to: 'ada@example.com', body: 'hi' }]]) {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) console.log(`refused  ${name}: ${result.content[0].text}`);
}
console.log(`audit    ${audit.entries().map((e) => `${e.stage} ${e.tool} ${e.verdict}`).join(' | ')}`);
await client.close();

function said(what, result) {
  console.log(`ran      ${what}`);
  return result;
}
