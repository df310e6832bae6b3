import type { Finding, ScanLanguage, Severity, SourceRange } from './finding.js';

/** A scanner rule: what it looks for, how bad it is, and what to do about it. */
export interface ScanRule {
  id: RuleId;
  severity: Severity;
  /** OWASP Top 10 for Agentic Applications (2026) tag. */
  asi: string;
  title: string;
  fix: string;
  languages: readonly ScanLanguage[];
}

const JS: readonly ScanLanguage[] = ['javascript', 'typescript'];
const PY: readonly ScanLanguage[] = ['python'];
const SH: readonly ScanLanguage[] = ['shell'];
const JS_PY: readonly ScanLanguage[] = ['javascript', 'typescript', 'python'];

/**
 * Every rule the scanner has. Ids are stable: policies and SARIF consumers key on them.
 * ASI tags: ASI02 tool misuse, ASI03 identity and privilege abuse, ASI05 unexpected code
 * execution, ASI07 insecure inter-agent communication, ASI08 cascading failures (no audit trail
 * to contain them).
 */
export const RULES = {
  'code-eval': {
    severity: 'critical', asi: 'ASI05', languages: JS_PY,
    title: 'Dynamic code evaluation (eval, exec, new Function, vm.run*)',
    fix: 'Do not evaluate strings as code; parse data with JSON.parse / ast.literal_eval, or run untrusted code in the sandbox (execution.sandbox.run).',
  },
  'shell-injection': {
    severity: 'critical', asi: 'ASI05', languages: JS_PY,
    title: 'Command run through a shell or built from interpolated input',
    fix: 'Pass the program and its arguments as a list (execFile / spawn without shell; subprocess.run([...]) without shell=True) and never build a command string from input.',
  },
  'os-system': {
    severity: 'high', asi: 'ASI05', languages: PY,
    title: 'os.system / os.popen runs a command through the shell',
    fix: 'Use subprocess.run([program, arg, ...], check=True) with an argument list and no shell.',
  },
  'unsafe-deserialization': {
    severity: 'critical', asi: 'ASI05', languages: PY,
    title: 'Deserialization that can run code (pickle, marshal, torch.load, yaml.load)',
    fix: 'Use a data-only format (JSON), yaml.safe_load or yaml.load(..., Loader=yaml.SafeLoader), torch.load(..., weights_only=True).',
  },
  'pickle-without-hmac': {
    severity: 'critical', asi: 'ASI05', languages: PY,
    title: 'pickle.loads without an HMAC check before it',
    fix: 'Verify an HMAC of the bytes with hmac.compare_digest before pickle.loads, or better use JSON.',
  },
  ssrf: {
    severity: 'high', asi: 'ASI02', languages: JS_PY,
    title: 'URL built from input is fetched without a guard (SSRF)',
    fix: 'Check the URL against an allow-list of hosts (and refuse private addresses) before fetching; call the check on the same value that is fetched.',
  },
  'hardcoded-secret': {
    severity: 'high', asi: 'ASI03', languages: ['javascript', 'typescript', 'python', 'shell'],
    title: 'Secret written in the source',
    fix: 'Read the secret from the environment or a secret manager at run time; rotate the one that was committed.',
  },
  'curl-pipe-shell': {
    severity: 'critical', asi: 'ASI05', languages: SH,
    title: 'Downloaded script piped into a shell',
    fix: 'Download to a file, verify its checksum or signature, read it, then run it.',
  },
  'rm-rf-variable': {
    severity: 'high', asi: 'ASI02', languages: SH,
    title: 'rm -rf on a path built from a variable',
    fix: 'Use "${VAR:?}" so an empty variable aborts, quote it, and check the path is under the expected directory.',
  },
  'chmod-777': {
    severity: 'medium', asi: 'ASI03', languages: SH,
    title: 'chmod 777 makes a file writable by every user',
    fix: 'Grant the least access needed (e.g. 755 for programs, 644 or 600 for files).',
  },
  'ssh-dir-write': {
    severity: 'high', asi: 'ASI03', languages: SH,
    title: 'Write into ~/.ssh (authorized_keys, keys, config)',
    fix: 'Agents must not change SSH trust; provision keys through your deployment, not from agent-run code.',
  },
  'ungoverned-tool': {
    severity: 'medium', asi: 'ASI02', languages: JS,
    title: "A tool's execute is defined in a file that never wraps it with govern()",
    fix: 'Wrap the tool with govern() (or the framework adapter) so every call passes the policy, identity and audit.',
  },
  'unverified-handoff': {
    severity: 'medium', asi: 'ASI07', languages: JS,
    title: 'Multi-agent hand-off with no hand-off verification',
    fix: 'Seal hand-offs with the identity hand-off gate (sealHandoff / openHandoff) so the receiver verifies who sent the task.',
  },
  'no-audit-sink': {
    severity: 'low', asi: 'ASI08', languages: JS,
    title: 'Governance set up without an audit sink',
    fix: 'Pass an audit log (e.g. a JSONL or SQLite sink) so every decision is recorded and tamper-evident.',
  },
  'parse-error': {
    severity: 'medium', asi: 'ASI05', languages: ['javascript', 'typescript', 'python', 'shell'],
    title: 'Source does not parse, so it could not be checked',
    fix: 'Fix the syntax error; code the scanner cannot read is treated as unreviewed.',
  },
} as const satisfies Record<string, Omit<ScanRule, 'id'>>;

/** The id of a scanner rule. */
export type RuleId = keyof typeof RULES;

/** Every rule with its id, in catalogue order (for docs and SARIF). */
export function listRules(): ScanRule[] {
  return (Object.keys(RULES) as RuleId[]).map((id) => ({ id, ...RULES[id] }));
}

/** A finding of `ruleId` at `range` in `file`, with the rule's severity, tag and fix. */
export function finding(ruleId: RuleId, file: string, range: SourceRange, message: string): Finding {
  const rule = RULES[ruleId];
  return { ruleId, severity: rule.severity, asi: rule.asi, file, ...range, message, fix: rule.fix };
}
