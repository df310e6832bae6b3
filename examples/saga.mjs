// docs/sagas.md, runnable: `node examples/saga.mjs` (after `npm ci && npm run build`).
// A governed multi-step task: each step is a tool call the kernel decides, and when a step fails
// or is denied, the steps already done are undone in reverse order, every one of them audited.
import { AuditLog, Kernel } from 'agent-governance-toolkit';
import { Saga, SagaError } from 'agent-governance-toolkit/kernel';

const policy = {
  apiVersion: 'governance.toolkit/v1',
  name: 'shop',
  default_action: 'allow',
  rules: [{ name: 'charge-cap', condition: "tool_name == 'payments.charge' && args.cents > 50000", action: 'deny', description: 'Charges over $500 need a human' }],
};
const audit = new AuditLog();
const kernel = new Kernel({ policy, audit, agent: 'shop-bot' });

// A pretend shop: what is held, charged and shipped right now.
const shop = { holds: new Set(), charges: new Set(), refundAttempts: 0 };
const reserve = { tool: 'stock.reserve', run: (args) => (shop.holds.add(args.sku), { hold: args.sku }), compensate: (r) => shop.holds.delete(r.hold) };
const charge = (cents) => ({
  tool: 'payments.charge',
  args: { cents },
  run: () => (shop.charges.add(`ch-${cents}`), { charge: `ch-${cents}` }),
  compensate: (r) => {
    // The payment service is busy the first time: the saga retries, with backoff.
    if (++shop.refundAttempts === 1) throw new Error('payment service busy');
    shop.charges.delete(r.charge);
  },
});

async function order(name, sku, cents) {
  const saga = new Saga({ kernel, name, agent: 'shop-bot', retries: 2, retryDelayMs: 10 });
  try {
    await saga.step('reserve', { ...reserve, args: { sku } });
    await saga.step('charge', charge(cents));
    await saga.step('ship', { tool: 'shipping.create', args: { sku }, run: () => { if (sku === 'B2') throw new Error('no courier today'); return { label: 'L1' }; } });
    return await saga.complete();
  } catch (error) {
    if (!(error instanceof SagaError)) throw error;
    console.log(`  ${error.code}: ${error.message}`);
    return error.report;
  }
}

for (const [name, sku, cents] of [['order-1', 'A1', 900], ['order-2', 'B2', 1200], ['order-3', 'C3', 90000]]) {
  const report = await order(name, sku, cents);
  const undone = report.compensations.map((c) => `${c.step} ${c.outcome} (${c.attempts} attempt${c.attempts === 1 ? '' : 's'})`).join(', ') || 'nothing';
  console.log(`${name.padEnd(8)} ${report.status.padEnd(12)} steps: ${report.steps.map((s) => `${s.name}=${s.status}`).join(' ')}; undone: ${undone}`);
}
console.log(`still held: [${[...shop.holds]}]; still charged: [${[...shop.charges]}]`);

const saga = audit.entries().filter((e) => e.tool?.startsWith('saga.'));
console.log(`\n${audit.length} audit entries (${saga.length} by the sagas); chain ${audit.verify().ok ? 'verified' : 'BROKEN'}`);
for (const e of saga.filter((e) => e.tool.startsWith('saga.order-2.'))) console.log(`  ${e.actionType.padEnd(32)} ${e.tool}`);
