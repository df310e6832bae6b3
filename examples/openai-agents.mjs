// The README's OpenAI Agents SDK example, runnable offline: `node examples/openai-agents.mjs` (after `npm ci`).
// A fake of the SDK's Model interface plays the model; examples/policy.yaml decides.
import { Agent, run, setTracingDisabled, Usage } from '@openai/agents';
import { z } from 'zod';
import { AuditLog } from 'agent-governance-toolkit';
import { openAiAgentsGovernance } from 'agent-governance-toolkit/openai-agents';

setTracingDisabled(true); // offline: no traces exported
const policy = new URL('./policy.yaml', import.meta.url).pathname;
const audit = new AuditLog();

// A scripted model (the SDK's Model interface): reads, drops and mails, then sums up.
const turns = [
  [call('c1', 'db', { action: 'read', table: 'users' }), call('c2', 'db', { action: 'drop', table: 'users' }), call('c3', 'send_email', { to: 'ada@example.com', body: 'hi' })],
  [{ type: 'message', id: 'm1', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'done' }] }],
];
const model = {
  async getResponse() {
    return { usage: new Usage(), output: turns.shift() ?? [], responseId: 'r' };
  },
  getStreamedResponse() {
    throw new Error('not streamed here');
  },
};
// A stand-in for a human: approves mail to our own domain only.
async function ask(item) {
  const yes = JSON.parse(item.rawItem.arguments).to.endsWith('@example.com');
  console.log(`human    ${yes ? 'approved' : 'rejected'} ${item.rawItem.name}`);
  return yes;
}

// The tools' code, as you would write it.
const queryDb = async ({ action, table }) => said(`db ${action} ${table}`, '42 rows');
const mail = async ({ to }) => said(`send_email to ${to}`, 'sent');

// --- the README example ---------------------------------------------------------------------
const governance = openAiAgentsGovernance({ policy, audit });
const db = governance.tool({ name: 'db', description: 'query the database', parameters: z.object({ action: z.string(), table: z.string() }), execute: queryDb });
const sendEmail = governance.tool({ name: 'send_email', description: 'send an email', parameters: z.object({ to: z.string(), body: z.string() }), execute: mail });
const agent = new Agent({ name: 'support', model, tools: [db, sendEmail] });
let result = await run(agent, 'clean up the users table and tell Ada');
for (const item of result.interruptions) {
  if (await ask(item)) await governance.approve(result.state, item);
  else await governance.reject(result.state, item, 'not to that address');
}
result = await run(agent, result.state);
// ---------------------------------------------------------------------------------------------

for (const item of result.history) {
  if (item.type === 'function_call_result' && /denied|not approved/.test(JSON.stringify(item.output))) console.log(`refused  ${item.name}: ${item.output.text ?? JSON.stringify(item.output)}`);
}
console.log(`answer   ${result.finalOutput}`);
console.log(`audit    ${audit.entries().map((e) => `${e.stage} ${e.tool} ${e.verdict}`).join(' | ')}`);

function call(callId, name, args) {
  return { type: 'function_call', id: `fc_${callId}`, callId, name, arguments: JSON.stringify(args), status: 'completed' };
}
function said(what, result) {
  console.log(`ran      ${what}`);
  return result;
}
