/**
 * The framework-neutral core the adapters share. Each framework's adapter is its own subpath
 * (`agent-governance-toolkit/mcp`, `/ai-sdk`, `/openai-agents`, `/langchain`, `/mastra`), so importing this
 * or the main entry never loads a framework.
 */
export { ToolCallGovernor } from './tool-call.js';
export type { AdapterOptions, CallOutcome, ClearedCall, ContentOutcome, ContentStage, PendingApproval, PostToolOutcome, PreToolOutcome, ToolCall, ToolError } from './tool-call.js';

export { handOff, sealFor, payloadOf } from './handoff-call.js';
export type { HandoffSender, HandoffSource, HandoffResult } from './handoff-call.js';
