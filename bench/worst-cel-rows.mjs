// Bench rows for the worst cases of CEL over request data (issue 9): each hostile request of the
// issue decided through govern() with a YAML policy, end to end (bounds, policy, audit). Every
// one must be decided (here: refused with runtime_error:budget) within its target. Called by
// run.mjs with its harness; the rows form the "worst cases" section of the table.
import { AuditLog, PolicyEvaluator, govern } from '../dist/index.js';

const numbers = (n) => Array.from({ length: n }, (_, i) => i);

/** A 1 MiB request: as many numbers as fit under the default 1 MiB request limit. */
const MIB_ITEMS = numbers(165_000);

const CASES = [
  { name: 'nested all, n = 4,000', condition: 'args.items.all(x, args.items.all(y, x != y || x == y)) == false', args: { items: numbers(4000) }, targetMs: 50 },
  { name: 'triple exists, n = 300', condition: 'args.items.exists(x, args.items.exists(y, args.items.exists(z, x + y + z < 0)))', args: { items: numbers(300) }, targetMs: 50 },
  { name: 'quadratic `x in args.items`, n = 20,000', condition: 'args.items.all(x, x in args.items) == false', args: { items: numbers(20_000) }, targetMs: 50 },
  { name: 'quadratic `args.text.contains(x)`, 500 KB text', condition: 'args.items.exists(x, args.text.contains(string(x) + "!"))', args: { items: numbers(20_000), text: 'a'.repeat(500_000) }, targetMs: 50 },
  { name: '1 MiB request, nested exists + filter', condition: 'args.items.exists(x, args.items.filter(y, y == x).size() > 1)', args: { items: MIB_ITEMS }, targetMs: 100 },
];

export async function worstCelRows({ pair, progress, gc, rows }) {
  for (const c of CASES) {
    progress(`worst case: ${c.name} ...`);
    const evaluator = PolicyEvaluator.fromYaml(
      `apiVersion: governance.toolkit/v1\nname: worst\ndefault_action: allow\nrules:\n  - name: hostile\n    condition: ${JSON.stringify(c.condition)}\n    action: deny\n`,
    );
    const tool = async () => 1;
    const governed = govern(tool, { policy: evaluator, name: 'search', audit: new AuditLog() });
    const call = async () => {
      try {
        await governed(c.args);
        throw new Error(`${c.name}: the hostile request ran`);
      } catch (error) {
        if (!String(error?.decision?.reason).startsWith('runtime_error:budget')) throw error;
        return 1;
      }
    };
    await call();
    const r = await pair({ ours: call, peer: null, n: 20, warm: 3, rounds: 2, async: true });
    gc();
    rows.push({
      section: 'worst cases',
      what: `CEL: ${c.name} (govern(), refused: runtime_error:budget)`,
      ours: r.ours, peer: null, by: 'p50',
      target: `p50 <= ${c.targetMs} ms`,
      met: r.ours.p50Ns / 1e6 <= c.targetMs,
    });
  }
}
