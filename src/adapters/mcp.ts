/**
 * Governance for a Model Context Protocol server (`@modelcontextprotocol/sdk`): every
 * `tools/call` is decided before the tool's handler runs. A denial is the MCP idiom for a tool
 * that failed, a result with `isError: true` whose text says why, never a protocol error or a
 * crash; a redacted result reaches the client redacted.
 *
 * @example
 * const server = new McpServer({ name: 'db', version: '1.0.0' });
 * governMcpServer(server, { policy: 'policy.yaml', audit });   // before registering tools
 * server.registerTool('query', { inputSchema: { sql: z.string() } }, handler);
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, type CallToolRequest, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { canonicalJson } from '../core/canonical-json.js';
import type { ApprovalHandler } from '../kernel/approvals.js';
import { REDACTED } from '../kernel/transform.js';
import { ToolCallGovernor, type AdapterOptions, type Refusal } from './tool-call.js';

/** The `_meta` key under which a refusal's structured fields travel with the error result. */
export const REFUSAL_META_KEY = 'agent-governance-toolkit/refusal';

type CallToolHandler = (request: CallToolRequest, extra: { signal?: AbortSignal } | undefined) => unknown;
type SetRequestHandler = (schema: unknown, handler: (request: never, extra: never) => unknown) => void;

/**
 * Governs an `McpServer`'s tool calls. Call it before the first tool is registered: the SDK
 * installs its `tools/call` handler then, and this wraps that handler, so the decision comes
 * before the SDK's own argument validation and the tool's code. require_approval is resolved
 * with `options.approvals` (without one it denies).
 *
 * @returns the governor, for its evaluator and audit log.
 * @throws TypeError if the server already has tools registered.
 */
export function governMcpServer(server: McpServer, options: AdapterOptions): ToolCallGovernor {
  const governor = new ToolCallGovernor(options);
  const inner = server.server;
  try {
    inner.assertCanSetRequestHandler('tools/call');
  } catch {
    throw new TypeError('governMcpServer() must be called before the first tool is registered: the tools/call handler is already installed and would run ungoverned');
  }
  const install = inner.setRequestHandler.bind(inner) as unknown as SetRequestHandler;
  const replacement: SetRequestHandler = (schema, handler) =>
    install(schema, schema === CallToolRequestSchema ? governedCallTool(governor, handler as unknown as CallToolHandler) : handler);
  inner.setRequestHandler = replacement as unknown as typeof inner.setRequestHandler;
  return governor;
}

/** The SDK's tools/call handler behind a decision, with the result checked on the way out. */
function governedCallTool(governor: ToolCallGovernor, handler: CallToolHandler): CallToolHandler {
  return async (request, extra) => {
    const params = request.params;
    let original: unknown;
    // The handler's `extra.signal` aborts on the client's cancellation or on a kill of the agent.
    const run = async (args: Readonly<Record<string, unknown>>, { signal }: { signal: AbortSignal }) => (original = await handler({ ...request, params: { ...params, arguments: args } }, { ...extra, signal }));
    const outcome = await governor.callTool({ tool: params.name, args: params.arguments }, run, extra?.signal);
    if (outcome.kind === 'refuse') return refusalResult(outcome.refusal);
    // The handler threw: an error result the client reads, with the message the policy let through.
    if (outcome.kind === 'failed') return { isError: true, content: [{ type: 'text', text: outcome.error.message }] };
    return asToolResult(outcome.output === original ? original : withTextMirrorRedacted(original, outcome.output));
  };
}

/**
 * A redaction of `structuredContent` must reach its text too: the MCP spec says a tool returning
 * structured content SHOULD also return it serialized in a text block, which the policy's field
 * paths (`structuredContent.ssn`) do not name. The rule: a text block that parses to the original
 * structured content is replaced by the redacted one, serialized the same way (same indent); in
 * every other text block, each value the redaction removed (strings and numbers of at least
 * {@link MIN_SEARCHED} characters) is replaced by `[REDACTED]` wherever it appears.
 */
function withTextMirrorRedacted(original: unknown, redacted: unknown): unknown {
  const before = structuredOf(original);
  const after = structuredOf(redacted);
  if (before === undefined || after === undefined || !Array.isArray((redacted as { content?: unknown }).content)) return redacted;
  let beforeJson: string;
  try {
    beforeJson = canonicalJson(before);
  } catch {
    return redacted;
  }
  const removed = [...new Set(removedValues(before, after))].filter((value) => value.length >= MIN_SEARCHED).sort((a, b) => b.length - a.length);
  const content = (redacted as { content: unknown[] }).content.map((block) => {
    if (typeof block !== 'object' || block === null || (block as { type?: unknown }).type !== 'text') return block;
    const text = (block as { text?: unknown }).text;
    if (typeof text !== 'string') return block;
    if (mirrors(text, beforeJson)) return { ...block, text: JSON.stringify(after, null, indentOf(text)) };
    const scrubbed = removed.reduce((out, value) => out.split(value).join(REDACTED), text);
    return scrubbed === text ? block : { ...block, text: scrubbed };
  });
  return { ...(redacted as object), content };
}

/** Removed values shorter than this are not searched for in free text (they would blank out unrelated words). */
const MIN_SEARCHED = 4;

function structuredOf(result: unknown): unknown {
  return typeof result === 'object' && result !== null ? (result as { structuredContent?: unknown }).structuredContent : undefined;
}

/** Whether a text block is a serialization of the structured content (any whitespace). */
function mirrors(text: string, structuredJson: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return false;
  try {
    return canonicalJson(JSON.parse(trimmed) as unknown) === structuredJson;
  } catch {
    return false;
  }
}

function indentOf(text: string): string | number | undefined {
  const match = /\n([ \t]+)\S/.exec(text);
  return match?.[1];
}

/** The leaf values (as text) of `before` that differ in `after`: what a redaction took out. */
function removedValues(before: unknown, after: unknown, depth = 0): string[] {
  if (depth > 64 || before === after) return [];
  if (typeof before === 'string' || typeof before === 'number') return [String(before)];
  if (typeof before !== 'object' || before === null) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(before)) {
    const other = typeof after === 'object' && after !== null ? (after as Record<string, unknown>)[key] : undefined;
    out.push(...removedValues(value, other, depth + 1));
  }
  return out;
}

/**
 * An approval handler that asks the connected client's user, through MCP elicitation (a form
 * with one `approve` checkbox): MCP's own way for a server to ask the human. Anything but an
 * accepted form with `approve: true` denies, and so does a client without form elicitation.
 *
 * @example
 * governMcpServer(server, { policy, audit, approvals: mcpElicitationApprovals(server) });
 */
export function mcpElicitationApprovals(server: McpServer): ApprovalHandler {
  return async (request, decision) => {
    const who = decision.approvers.length ? ` (approvers: ${decision.approvers.join(', ')})` : '';
    const rule = decision.rule ? ` by policy rule '${decision.rule}'` : '';
    const result = await server.server.elicitInput({
      message: `Approve the call to '${request.tool_name ?? 'a tool'}'${rule}${who}? ${decision.reason}\nArguments: ${JSON.stringify(request.args ?? {})}`,
      requestedSchema: { type: 'object', properties: { approve: { type: 'boolean', title: 'Approve this call' } }, required: ['approve'] },
    });
    return result.action === 'accept' && result.content?.approve === true ? 'approved' : 'denied';
  };
}

/** A refusal as an MCP tool error: text the model reads, and the decision's fields in `_meta`. */
export function refusalResult(refusal: Refusal): CallToolResult {
  return { content: [{ type: 'text', text: refusal.message }], isError: true, _meta: { [REFUSAL_META_KEY]: { ...refusal } } };
}

/** A redaction can replace the whole result; keep the reply a valid tool result even then. */
function asToolResult(output: unknown): CallToolResult {
  if (typeof output === 'object' && output !== null && Array.isArray((output as { content?: unknown }).content)) return output as CallToolResult;
  return { content: [{ type: 'text', text: typeof output === 'string' ? output : JSON.stringify(output) ?? '' }] };
}
