import { AuditLog, PolicyEvaluator, type AuditEntry } from '../../src/index.js';

/**
 * The policy every adapter test runs under: one tool per behaviour an adapter must show.
 * `search` allowed, `drop_table` denied, `send_email` held for approval, `call_api` rewritten
 * (its api_key redacted before the tool sees it), `lookup_customer`'s ssn redacted after it runs,
 * injected input denied, and a secret in the answer redacted.
 */
export const ADAPTER_POLICY = `apiVersion: governance.toolkit/v1
name: adapter-test
default_action: deny
rules:
  - name: allow-search
    condition: "tool_name == 'search'"
    action: allow
  - name: block-drop
    condition: "tool_name == 'drop_table'"
    action: deny
    message: Dropping tables is not allowed
  - name: approve-email
    condition: "tool_name == 'send_email'"
    action: require_approval
    approvers: [security-team]
  - name: allow-lookup
    condition: "tool_name == 'lookup_customer'"
    action: allow
  - name: scrub-api-key
    condition: "tool_name == 'call_api'"
    action: transform
    redact: [api_key]
  - name: redact-ssn
    stage: post_tool
    condition: "tool_name == 'lookup_customer'"
    action: transform
    redact: [ssn, structuredContent.ssn]
  - name: block-injection
    stage: pre_input
    condition: "string(input).contains('ignore previous instructions')"
    action: deny
    message: Prompt injection
  - name: redact-secret-answer
    stage: pre_output
    condition: "string(output).contains('SECRET')"
    action: transform
    redact: [output]
`;

/**
 * The model-call points: a prompt mentioning payroll never reaches the model (pre_model_call),
 * and an answer that plans a drop_table is withheld before anything acts on it (post_model_call).
 */
export const MODEL_CALL_POLICY = `apiVersion: governance.toolkit/v1
name: model-calls
default_action: allow
rules:
  - name: no-payroll-to-model
    stage: pre_model_call
    condition: "string(input).contains('payroll')"
    action: deny
    message: payroll never reaches the model
  - name: no-drop-from-model
    stage: post_model_call
    condition: "string(output).contains('drop_table')"
    action: deny
    message: the model may not plan a drop
`;

/** A fresh evaluator and memory audit log for one test. */
export function governanceFixture(): { evaluator: PolicyEvaluator; audit: AuditLog } {
  return { evaluator: PolicyEvaluator.fromYaml(ADAPTER_POLICY), audit: new AuditLog() };
}

/** The audit trail as `stage tool verdict` lines: what the tests read to show every decision is recorded. */
export function trail(audit: AuditLog): string[] {
  return audit.entries().map((e: AuditEntry) => `${e.stage} ${e.tool ?? '-'} ${e.verdict}`);
}

/** What the fake tools saw: a test reads this to prove a denied tool never ran. */
export class ToolSpy {
  readonly calls: Array<{ tool: string; args: unknown }> = [];
  saw(tool: string, args: unknown): void {
    this.calls.push({ tool, args: structuredClone(args) });
  }
  ran(tool: string): unknown[] {
    return this.calls.filter((c) => c.tool === tool).map((c) => c.args);
  }
}

/** The customer record lookup_customer returns: its ssn must never reach the model. */
export const CUSTOMER = { id: 'c-1', name: 'Ada', ssn: '123-45-6789' };
