// The README's Vercel AI SDK example, runnable offline: `node examples/ai-sdk.mjs` (after `npm ci`).
// The SDK's own mock model (ai/test) plays the model; examples/policy.yaml decides.
import { generateText, stepCountIs, tool, wrapLanguageModel } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import { AuditLog } from 'agent-governance-toolkit';
import { aiSdkGovernance } from 'agent-governance-toolkit/ai-sdk';

const policy = new URL('./policy.yaml', import.meta.url).pathname;
const audit = new AuditLog();

// The tools, as you would write them for the SDK.
const db = tool({ description: 'query the database', inputSchema: z.object({ action: z.string(), table: z.string() }), execute: async ({ action, table }) => said(`db ${action} ${table}`, '42 rows') });
const sendEmail = tool({ description: 'send an email', inputSchema: z.object({ to: z.string(), body: z.string() }), execute: async ({ to }) => said(`send_email to ${to}`, 'sent') });

// A scripted model: reads, then drops, then mails; then it sums up what it was told.
const turns = [
  [call('c1', 'db', { action: 'read', table: 'users' }), call('c2', 'db', { action: 'drop', table: 'users' }), call('c3', 'send_email', { to: 'ada@example.com', body: 'hi' })],
  [{ type: 'text', text: 'done' }],
];
// Stands in for @ai-sdk/openai's openai(): the SDK's mock model, answering with the turns above.
const openai = () => new MockLanguageModelV3({ doGenerate: async () => step(turns.shift() ?? [{ type: 'text', text: 'done' }]) });
// A stand-in for a human: approves mail to our own domain only.
async function ask(part) {
  const yes = part.toolCall.input.to.endsWith('@example.com');
  console.log(`human    ${yes ? 'approved' : 'rejected'} ${part.toolCall.toolName}`);
  return yes;
}

// --- the README example ---------------------------------------------------------------------
const governance = aiSdkGovernance({ policy, audit });
const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: governance.middleware });
// Register each tool under the name your policy uses: the model calls it by that key.
const tools = governance.tools({ db, send_email: sendEmail });
const messages = [{ role: 'user', content: 'clean up the users table and tell Ada' }];
let result = await generateText({ model, tools, messages, stopWhen: stepCountIs(5) });
const answers = [];
for (const part of result.content) if (part.type === 'tool-approval-request') answers.push(await governance.respond(part, await ask(part)));
messages.push(...result.response.messages, { role: 'tool', content: answers });
result = await generateText({ model, tools, messages, stopWhen: stepCountIs(5) });
// ---------------------------------------------------------------------------------------------

for (const message of messages) {
  if (message.role !== 'tool') continue;
  for (const part of message.content) {
    if (part.type === 'tool-result' && part.output.type === 'error-text') console.log(`refused  ${part.toolName}: ${part.output.value}`);
  }
}
console.log(`answer   ${result.text}`);
console.log(`audit    ${audit.entries().map((e) => `${e.stage} ${e.tool} ${e.verdict}`).join(' | ')}`);

function said(what, result) {
  console.log(`ran      ${what}`);
  return result;
}
function call(toolCallId, toolName, input) {
  return { type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) };
}
function step(content) {
  const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
  return { content, finishReason: { unified: content.some((p) => p.type === 'tool-call') ? 'tool-calls' : 'stop', raw: undefined }, usage, warnings: [] };
}
