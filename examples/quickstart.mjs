// The README's quick start, runnable: `node examples/quickstart.mjs` (after `npm ci`).
// A few tools governed by examples/policy.yaml, every decision in a hash-chained audit log.
import { AuditLog, GovernanceDenied, govern } from 'agent-governance-toolkit';

const policy = new URL('./policy.yaml', import.meta.url).pathname;
const audit = new AuditLog();
const options = { policy, audit, agent: 'demo-agent' };

// Three ordinary async functions standing in for an agent's tools.
async function db({ action, table }) {
  return { table, action, rows: 42 };
}
async function mailer({ to }) {
  return `sent to ${to}`;
}
async function search({ query }) {
  return [`result for ${query}`];
}
async function crm({ id }) {
  return { customer: { id, name: 'Ada Lovelace', email: 'ada@example.com', ssn: '123-45-6789' } };
}

const safeDb = govern(db, options);
const safeSearch = govern(search, options);
const safeCrm = govern(crm, options);
// A stand-in for a human: approves mail to our own domain only.
const safeMailer = govern(mailer, {
  ...options,
  approvals: async (request) => (String(request.args.to).endsWith('@example.com') ? 'approved' : 'denied'),
});

async function attempt(label, call) {
  try {
    const result = await call();
    console.log(`  ok      ${label.padEnd(38)} → ${JSON.stringify(result)}`);
  } catch (error) {
    if (!(error instanceof GovernanceDenied)) throw error;
    console.log(`  denied  ${label.padEnd(38)} → ${error.message}`);
  }
}

console.log('Governed tool calls (policy: examples/policy.yaml)\n');
await attempt("db read users", () => safeDb({ action: 'read', table: 'users' }));
await attempt("db drop users", () => safeDb({ action: 'drop', table: 'users' }));
await attempt("email a colleague (approved)", () => safeMailer({ action: 'send_email', to: 'bob@example.com' }));
await attempt("email a stranger (approval denied)", () => safeMailer({ action: 'send_email', to: 'eve@evil.test' }));
for (let i = 1; i <= 4; i++) await attempt(`search #${i} (3/minute allowed)`, () => safeSearch({ query: `q${i}` }));
await attempt("crm lookup (output redacted)", () => safeCrm({ action: 'lookup', id: 7 }));

const check = audit.verify();
console.log(`\nAudit log: ${audit.length} entries, hash chain ${check.ok ? 'verified' : `BROKEN at entry ${check.firstBadSeq}: ${check.reason}`}`);
for (const entry of audit.entries()) {
  console.log(`  #${String(entry.seq).padEnd(3)} ${entry.stage.padEnd(9)} ${String(entry.tool).padEnd(7)} ${entry.verdict.padEnd(16)} ${entry.rule ?? '-'}`);
}
if (!check.ok) process.exitCode = 1;
