// The README's LangChain.js example, runnable offline: `node examples/langchain.mjs` (after `npm ci`).
// LangChain's own FakeToolCallingModel plays the model; examples/policy.yaml decides.
import { MemorySaver } from '@langchain/langgraph';
import { Command } from '@langchain/langgraph';
import { createAgent, FakeToolCallingModel, tool, ToolMessage } from 'langchain';
import { z } from 'zod';
import { AuditLog } from 'agent-governance-toolkit';
import { langchainGovernance } from 'agent-governance-toolkit/langchain';

const policy = new URL('./policy.yaml', import.meta.url).pathname;
const audit = new AuditLog();

// The tools, as you would write them for LangChain.
const db = tool(async ({ action, table }) => said(`db ${action} ${table}`, '42 rows'), { name: 'db', description: 'query the database', schema: z.object({ action: z.string(), table: z.string() }) });
const sendEmail = tool(async ({ to }) => said(`send_email to ${to}`, 'sent'), { name: 'send_email', description: 'send an email', schema: z.object({ to: z.string(), body: z.string() }) });
const tools = [db, sendEmail];
// A scripted model: reads, drops and mails in one turn, then answers.
const model = new FakeToolCallingModel({
  toolCalls: [[{ name: 'db', args: { action: 'read', table: 'users' }, id: 'c1' }, { name: 'db', args: { action: 'drop', table: 'users' }, id: 'c2' }, { name: 'send_email', args: { to: 'ada@example.com', body: 'hi' }, id: 'c3' }], []],
});
const config = { configurable: { thread_id: 'example' } };
// A stand-in for a human: approves mail to our own domain only.
function ask(request) {
  const yes = request.args.to.endsWith('@example.com');
  console.log(`human    ${yes ? 'approved' : 'rejected'} ${request.name}`);
  return yes ? { type: 'approve' } : { type: 'reject', message: 'not to that address' };
}

// --- the README example ---------------------------------------------------------------------
const governance = langchainGovernance({ policy, audit });
const agent = createAgent({ model, tools, middleware: [governance], checkpointer: new MemorySaver() });
let result = await agent.invoke({ messages: [{ role: 'user', content: 'clean up the users table and tell Ada' }] }, config);
for (const { value } of result.__interrupt__ ?? []) {
  result = await agent.invoke(new Command({ resume: { decisions: value.actionRequests.map(ask) } }), config);
}
// ---------------------------------------------------------------------------------------------

for (const message of result.messages) {
  if (ToolMessage.isInstance(message) && message.status === 'error') console.log(`refused  ${message.name}: ${message.content}`);
}
console.log(`audit    ${audit.entries().map((e) => `${e.stage} ${e.tool} ${e.verdict}`).join(' | ')}`);

function said(what, result) {
  console.log(`ran      ${what}`);
  return result;
}
