// docs/kernel.md, runnable: `node examples/kernel.mjs` (after `npm ci`).
// One Kernel decides, records and enforces; this script plays the caller a framework adapter is.
import { AuditLog, Kernel } from 'agent-governance-toolkit';

const policy = {
  apiVersion: 'governance.toolkit/v1',
  name: 'kernel-example',
  default_action: 'deny',
  rules: [
    { name: 'reads', condition: "tool_name == 'db' && action.type == 'read'", action: 'allow' },
    { name: 'mail-needs-a-human', condition: "tool_name == 'send_email'", action: 'require_approval', approvers: ['support-lead'] },
    { name: 'mail-budget', condition: "tool_name == 'send_email'", action: 'allow', limit: '2/minute' },
  ],
};
const audit = new AuditLog();
const kernel = new Kernel({ policy, audit, agent: 'support-bot', approvals: () => 'approved' });

const db = (args) => ({ rows: 2, table: args.table });
const sendEmail = (args) => `sent to ${args.to}`;
const show = (what, outcome) =>
  console.log(`${what.padEnd(34)} ${outcome.kind === 'refused' ? `refused: ${outcome.refusal.reason}` : `${outcome.kind}: ${JSON.stringify(outcome.output ?? outcome.args)}`}`);

// The kernel runs the tool: decide, record, run with its frozen copy of the arguments.
const args = { action: 'read', table: 'orders' };
const pending = kernel.handle({ tool: 'db', args }, db);
args.table = 'secrets'; // too late: the kernel copied the arguments when it decided
show('read orders', await pending);
show('drop orders', await kernel.handle({ tool: 'db', args: { action: 'drop', table: 'orders' } }, db));

// Approved calls count against the rate limit: the third is refused before anyone is asked.
for (const to of ['ada@example.com', 'bob@example.com', 'eve@example.com']) show(`email ${to}`, await kernel.handle({ tool: 'send_email', args: { to } }, sendEmail));

// A framework that runs the tool itself: decide now (held under the call id), the human answers, run later.
const asked = await kernel.handle({ tool: 'send_email', args: { to: 'cy@example.com' }, callId: 'call-7', agent: 'other-bot' }, undefined, { hold: true });
show('ask about call-7', asked);
show('human approves call-7', await kernel.settle('call-7', true));
show('run call-7, other arguments', await kernel.handle({ tool: 'send_email', args: { to: 'mallory@evil.test' }, callId: 'call-7', agent: 'other-bot' }));

const entries = audit.entries();
console.log(`\n${entries.length} audit entries; chain ${audit.verify().ok ? 'verified' : 'BROKEN'}; every decision carries its input identity: ${entries.every((e) => /^[0-9a-f]{64}$/.test(e.inputIdentity ?? '')) ? 'yes' : 'not yet recorded'}`);
