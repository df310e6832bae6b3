// The other process of the kill-latency row (bench/lifecycle-rows.mjs): a governed tool called
// in a loop over the shared SQLite state store, as agent `a<round>`. The first denial of a round
// is reported on stdout with the wall-clock time it happened (ms, sub-ms precision), and the
// loop moves on to the next round's agent.
import { setImmediate } from 'node:timers';
import { AuditLog, govern } from '../dist/index.js';
import { Lifecycle } from '../dist/execution/lifecycle/lifecycle.js';
import { openLifecycleStore } from '../dist/state/sqlite-lifecycle-store.js';

const [statePath, rounds] = [process.argv[2], Number(process.argv[3])];
const lifecycle = new Lifecycle({ store: openLifecycleStore(statePath) });
const policy = { apiVersion: 'governance.toolkit/v1', name: 'kill-bench', default_action: 'allow' };
let round = 0;
const tool = govern(async () => 1, { policy, audit: new AuditLog(), name: 'search', agent: { id: 'a0' }, lifecycle });
process.stdout.write('ready\n');
while (round < rounds) {
  try {
    await tool.kernel.handle({ tool: 'search', agent: `a${round}` }, async () => 1).then((outcome) => {
      if (outcome.kind === 'refused') {
        process.stdout.write(`denied ${round} ${performance.timeOrigin + performance.now()}\n`);
        round++;
      }
    });
  } catch (error) {
    process.stderr.write(String(error));
    process.exit(1);
  }
  await new Promise((resolve) => setImmediate(resolve));
}
lifecycle.close();
