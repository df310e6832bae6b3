import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as OpaWasm from '@open-policy-agent/opa-wasm';
import { buildWasmBundle, findOpaBinary } from '../../../src/policy/engines/opa-binary.js';
import { readTarGz } from '../../../src/policy/engines/tar.js';
import { compileWasm, evaluationPool, IO_BUFFER_BYTES } from '../../../src/policy/engines/wasm-pool.js';
import { tree } from './tree.js';

const loadPolicySync = (createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as { loadPolicySync: typeof OpaWasm.loadPolicySync }).loadPolicySync;

const REGO = `package t

import rego.v1

echo := input

size := count(input.args.items) if input.args.items

greeting := concat(" ", ["hello", input.name]) if input.name

flag := data.flags[input.tool_name]
`;

const PAGES_64_MIB = 1024;

describe('EvaluationPool (bounded evaluation on a worker thread)', () => {
  const root = tree({ 't.rego': REGO });
  const opa = findOpaBinary() as { path: string };
  const wasm = (entrypoint: string) => readTarGz(buildWasmBundle(opa.path, [join(root, 't.rego')], entrypoint, root)).get('policy.wasm') as Buffer;
  const pool = evaluationPool();

  it('gives the same result sets as LoadedPolicy.evaluate in-process, for every kind of input', () => {
    const bytes = wasm('t/echo');
    const reference = loadPolicySync(bytes);
    const slot = pool.register({ module: compileWasm(bytes), entrypoint: 0, data: undefined, maxPages: PAGES_64_MIB });
    const inputs: unknown[] = [
      { tool_name: 'db', args: { rows: 5 } },
      { name: 'wörld ✓ 𝄞', nested: { deep: [1, 2.5, -3e-7, null, true, 'x'] } },
      'just a string',
      42,
      [],
      { big: 'x'.repeat(2_000_000) }, // more than the initial memory: it must grow
      { after: 'growing, a small input still works' },
    ];
    for (const input of inputs) {
      const answer = pool.evaluate(slot, input, 5_000);
      expect(answer.ok).toBe(true);
      expect(JSON.parse((answer as { resultJson: string }).resultJson)).toEqual(reference.evaluate(input, 0));
    }
    pool.release(slot);
  });

  it('uses the data it was registered with', () => {
    const slot = pool.register({ module: compileWasm(wasm('t/flag')), entrypoint: 0, data: { flags: { db: 'on' } }, maxPages: PAGES_64_MIB });
    expect(pool.evaluate(slot, { tool_name: 'db' }, 5_000)).toEqual({ ok: true, resultJson: '[{"result":"on"}]' });
    expect(pool.evaluate(slot, { tool_name: 'x' }, 5_000)).toEqual({ ok: true, resultJson: '[]' });
    pool.release(slot);
  });

  it('refuses an input or a result larger than its buffer, and one whose copy does not fit the memory bound', () => {
    const slot = pool.register({ module: compileWasm(wasm('t/echo')), entrypoint: 0, data: undefined, maxPages: 16 });
    expect(pool.evaluate(slot, { s: 'x'.repeat(IO_BUFFER_BYTES) }, 5_000)).toMatchObject({ ok: false, failure: 'too_large' });
    expect(pool.evaluate(slot, { s: 'x'.repeat(2 * 1024 * 1024) }, 5_000)).toMatchObject({ ok: false, failure: 'memory' });
    expect(pool.evaluate(slot, { s: 'fits' }, 5_000)).toEqual({ ok: true, resultJson: '[{"result":{"s":"fits"}}]' });
    pool.release(slot);
  });
});
