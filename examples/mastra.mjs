// The README's Mastra example, runnable offline: `node examples/mastra.mjs` (after `npm ci`).
// A scripted AI SDK v5 model (the LanguageModelV2 interface Mastra drives) plays the model;
// examples/policy.yaml decides.
import { ReadableStream } from 'node:stream/web';
import { Agent } from '@mastra/core/agent';
import { Mastra } from '@mastra/core/mastra';
import { InMemoryStore } from '@mastra/core/storage';
import { z } from 'zod';
import { AuditLog } from 'agent-governance-toolkit';
import { mastraGovernance } from 'agent-governance-toolkit/mastra';

const policy = new URL('./policy.yaml', import.meta.url).pathname;
const audit = new AuditLog();

// A scripted model: reads, drops and mails in one turn, then answers.
const model = scriptedModel([
  [call('c1', 'db', { action: 'read', table: 'users' }), call('c2', 'db', { action: 'drop', table: 'users' }), call('c3', 'send_email', { to: 'ada@example.com', body: 'hi' })],
  [{ type: 'text', text: 'done' }],
]);
// A stand-in for a human: approves mail to our own domain only.
async function ask(chunk) {
  const yes = chunk.payload.args.to.endsWith('@example.com');
  console.log(`human    ${yes ? 'approved' : 'rejected'} ${chunk.payload.toolName}`);
  return yes;
}

// The tools' code, as you would write it.
const queryDb = async ({ action, table }) => said(`db ${action} ${table}`, '42 rows');
const mail = async ({ to }) => said(`send_email to ${to}`, 'sent');

// --- the README example ---------------------------------------------------------------------
const governance = mastraGovernance({ policy, audit });
const db = governance.tool({ id: 'db', description: 'query the database', inputSchema: z.object({ action: z.string(), table: z.string() }), execute: queryDb });
const sendEmail = governance.tool({ id: 'send_email', description: 'send an email', inputSchema: z.object({ to: z.string(), body: z.string() }), requireApproval: true, execute: mail });
const agent = new Agent({ id: 'support', name: 'support', instructions: 'help', model, tools: { db, send_email: sendEmail }, inputProcessors: [governance.inputProcessor], outputProcessors: [governance.outputProcessor] });
// Approvals resume a paused run from storage: without a Mastra instance with storage, an approved call never runs.
new Mastra({ agents: { support: agent }, storage: new InMemoryStore(), logger: false });
const stream = await agent.stream('clean up the users table and tell Ada', { maxSteps: 5 });
for await (const chunk of stream.fullStream) {
  if (chunk.type !== 'tool-call-approval') continue;
  const resumed = (await ask(chunk)) ? await governance.approveToolCall(agent, chunk) : await governance.declineToolCall(agent, chunk, 'not to that address');
  console.log(`answer   ${await resumed.text}`);
}
// ---------------------------------------------------------------------------------------------

for (const { role, content } of model.prompts.at(-1) ?? []) {
  if (role !== 'tool') continue;
  for (const part of content) if (part.output.type === 'error-text') console.log(`refused  ${part.toolName}: ${part.output.value}`);
}
console.log(`audit    ${audit.entries().map((e) => `${e.stage} ${e.tool} ${e.verdict}`).join(' | ')}`);

function said(what, result) {
  console.log(`ran      ${what}`);
  return result;
}
function call(toolCallId, toolName, input) {
  return { type: 'tool-call', toolCallId, toolName, input: JSON.stringify(input) };
}
/** A LanguageModelV2 answering each call with the next scripted turn; it keeps the prompts it was sent. */
function scriptedModel(turns) {
  const usage = { inputTokens: 1, outputTokens: 1, totalTokens: 2 };
  const prompts = [];
  const next = ({ prompt }) => {
    prompts.push(prompt);
    const content = turns.shift() ?? [{ type: 'text', text: 'done' }];
    return { content, finishReason: content.some((p) => p.type === 'tool-call') ? 'tool-calls' : 'stop' };
  };
  return {
    specificationVersion: 'v2', provider: 'scripted', modelId: 'scripted', supportedUrls: {}, prompts,
    async doGenerate(options) {
      return { ...next(options), usage, warnings: [] };
    },
    async doStream(options) {
      const { content, finishReason } = next(options);
      const parts = [{ type: 'stream-start', warnings: [] }];
      for (const part of content) {
        if (part.type === 'text') parts.push({ type: 'text-start', id: 't' }, { type: 'text-delta', id: 't', delta: part.text }, { type: 'text-end', id: 't' });
        else parts.push(part);
      }
      parts.push({ type: 'finish', finishReason, usage });
      return { stream: ReadableStream.from(parts) };
    },
  };
}
