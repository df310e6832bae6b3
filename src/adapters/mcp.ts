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
import type { ApprovalHandler } from '../kernel/approvals.js';
import { ToolCallGovernor, type AdapterOptions, type Refusal } from './tool-call.js';

/** The `_meta` key under which a refusal's structured fields travel with the error result. */
export const REFUSAL_META_KEY = 'agent-governance-toolkit/refusal';

type CallToolHandler = (request: CallToolRequest, extra: unknown) => unknown;
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
    const outcome = await governor.callTool({ tool: params.name, args: params.arguments }, (args) => handler({ ...request, params: { ...params, arguments: args } }, extra));
    if (outcome.kind === 'refuse') return refusalResult(outcome.refusal);
    return asToolResult(outcome.output);
  };
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
