// tsc writes dist/cli/agt.js without the executable bit; `npx agt` runs the bin file directly.
import { chmodSync } from 'node:fs';

chmodSync(new URL('../dist/cli/agt.js', import.meta.url), 0o755);
