import ts from 'typescript';
import type { Finding } from '../finding.js';
import { finding } from '../rules.js';
import { propertyName } from './call-rules.js';
import { nodeRange } from './parse.js';

/** Names that verify a hand-off (identity hand-off gate and the adapters' sealed hand-off tools). */
const VERIFIES_HANDOFF = /^(?:sealHandoff|openHandoff|verifyHandoff|HandoffGate|handoffGate|\w+HandoffTool)$/;
/**
 * Names that put a call through the kernel other than govern(): a Kernel of one's own, the
 * hand-off gate (its hand-offs are decided by its kernel), the governed sandbox tool.
 */
const GOVERNS = new Set(['Kernel', 'HandoffGate', 'handOff', 'sandboxTool']);
/** Properties that make an object with `execute` a tool definition. */
const TOOL_SHAPE = new Set(['description', 'parameters', 'inputSchema', 'schema']);

/**
 * The governance rules are about a whole file: a tool defined here must be wrapped here, a
 * hand-off here must be verified here. The walker feeds facts in; `findings` decides at the end.
 */
export class GovernanceFacts {
  private governed = false;
  private handoffVerified = false;
  private readonly tools: ts.Node[] = [];
  private readonly handoffs: ts.Node[] = [];
  private readonly unaudited: ts.Node[] = [];

  /** Notes a name used anywhere in the file. */
  identifier(node: ts.Identifier): void {
    // Cheap prefilters first: this runs for every identifier in the file.
    const text = node.text;
    if (text.startsWith('govern') || GOVERNS.has(text)) this.governed = true;
    else if (text.includes('andoff') && VERIFIES_HANDOFF.test(text)) this.handoffVerified = true;
  }

  /** Notes tool definitions and hand-off lists. */
  objectLiteral(node: ts.ObjectLiteralExpression): void {
    const names = node.properties.map((property) => (property.name ? propertyName(property.name) : undefined));
    if (names.includes('execute') && names.some((name) => name !== undefined && TOOL_SHAPE.has(name))) this.tools.push(node);
    const handoffs = node.properties.find((property) => property.name && propertyName(property.name) === 'handoffs');
    if (handoffs) this.handoffs.push(handoffs);
  }

  /** Notes `govern(tool, options)` and `new Kernel(options)` with no durable audit sink. */
  call(node: ts.CallExpression | ts.NewExpression): void {
    const callee = node.expression;
    const options =
      ts.isIdentifier(callee) && callee.text === 'govern' && ts.isCallExpression(node) ? node.arguments[1]
      : ts.isIdentifier(callee) && callee.text === 'Kernel' && ts.isNewExpression(node) ? node.arguments?.[0]
      : undefined;
    if (options === undefined || !ts.isObjectLiteralExpression(options)) return;
    const properties = new Map(options.properties.map((property) => [property.name ? propertyName(property.name) : undefined, property]));
    const audit = properties.get('audit');
    const auditOff = audit !== undefined && ts.isPropertyAssignment(audit) && audit.initializer.kind === ts.SyntaxKind.FalseKeyword;
    // A spread (`...options`) may carry the audit: what it holds is not in this file to see, so it is not reported.
    const spread = options.properties.some((property) => ts.isSpreadAssignment(property));
    const delegated = spread || properties.has('kernel') || properties.has('governance') || properties.has('audit');
    if (auditOff || !delegated) this.unaudited.push(node);
  }

  /** The file-level findings. */
  findings(file: string, source: ts.SourceFile): Finding[] {
    const out: Finding[] = [];
    if (!this.governed) {
      for (const tool of this.tools) out.push(finding('ungoverned-tool', file, nodeRange(tool, source), 'a tool with execute is defined here and nothing in this file wraps it with govern()'));
    }
    if (!this.handoffVerified) {
      for (const handoff of this.handoffs) out.push(finding('unverified-handoff', file, nodeRange(handoff, source), 'agents hand off to each other here with no sealed, verified hand-off'));
    }
    for (const call of this.unaudited) out.push(finding('no-audit-sink', file, nodeRange(call, source), 'governance is set up here with no audit sink (audit: false, or only the default in-memory log)'));
    return out;
  }
}
