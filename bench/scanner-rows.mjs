// Bench rows for the static code scanner (issue 11, item 6): lines parsed and checked per second
// on a large real JS/TS tree, this repo's node_modules/zod (its .js, .cjs and .d.ts files). Each
// run is a whole `scanPaths` (reading files, parsing with TypeScript's parser, every rule), after
// one warm-up run; the row reports the median run. No peer row: the peer's reviewer matches
// substrings and parses nothing. Called by run.mjs with its harness.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { scanPaths } from '../dist/execution/scanner/index.js';

const RUNS = 5;

export async function scannerRows({ progress, gc, rows }) {
  const zod = dirname(createRequire(import.meta.url).resolve('zod/package.json'));
  progress(`scanner: ${RUNS} scans of ${zod} ...`);
  await scanPaths([zod]); // warm-up: JIT and file cache
  const runs = [];
  let lines = 0;
  let files = 0;
  for (let i = 0; i < RUNS; i++) {
    gc();
    const started = process.hrtime.bigint();
    const report = await scanPaths([zod]);
    runs.push(Number(process.hrtime.bigint() - started));
    lines = report.lines;
    files = report.files.length;
  }
  runs.sort((a, b) => a - b);
  const medianNs = runs[RUNS >> 1];
  const linesPerSec = lines / (medianNs / 1e9);
  rows.push({
    section: 'execution control',
    what: `scanner: agt scan code on node_modules/zod (${files} files, ${lines} lines), lines/s (p50 and p99 columns: one whole scan)`,
    ours: { n: RUNS, opsPerSec: linesPerSec, p50Ns: medianNs, p99Ns: runs[RUNS - 1] },
    peer: null,
    by: 'ops/s',
    target: '>= 100k lines/s',
    met: linesPerSec >= 100_000,
  });
}
