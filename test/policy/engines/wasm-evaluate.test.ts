import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as OpaWasm from '@open-policy-agent/opa-wasm';
import { buildWasmBundle, findOpaBinary } from '../../../src/policy/engines/opa-binary.js';
import { readTarGz } from '../../../src/policy/engines/tar.js';
import { wasmEvaluator } from '../../../src/policy/engines/wasm-evaluate.js';
import { tree } from './tree.js';

const loadPolicySync = (createRequire(import.meta.url)('@open-policy-agent/opa-wasm') as { loadPolicySync: typeof OpaWasm.loadPolicySync }).loadPolicySync;

const REGO = `package t

import rego.v1

echo := input

size := count(input.args.items) if input.args.items

greeting := concat(" ", ["hello", input.name]) if input.name

flag := data.flags[input.tool_name]
`;

describe('wasmEvaluator (the opa_eval fast path)', () => {
  const root = tree({ 't.rego': REGO });
  const opa = findOpaBinary() as { path: string };
  const wasm = readTarGz(buildWasmBundle(opa.path, [join(root, 't.rego')], 't/echo', root)).get('policy.wasm') as Buffer;

  it('gives the same result sets as LoadedPolicy.evaluate, for every kind of input', () => {
    const reference = loadPolicySync(wasm);
    const fast = wasmEvaluator(loadPolicySync(wasm), 0);
    const inputs: unknown[] = [
      { tool_name: 'db', args: { rows: 5 } },
      { name: 'wörld ✓ 𝄞', nested: { deep: [1, 2.5, -3e-7, null, true, 'x'] } },
      'just a string',
      42,
      null,
      [],
      { big: 'x'.repeat(2_000_000) }, // more than the initial memory: it must grow
      { after: 'growing, a small input still works' },
    ];
    for (const input of inputs) expect(fast(input)).toEqual(reference.evaluate(input, 0));
  });

  it('sees data set after it was created', () => {
    const root2 = tree({ 't.rego': REGO });
    const flagWasm = readTarGz(buildWasmBundle(opa.path, [join(root2, 't.rego')], 't/flag', root2)).get('policy.wasm') as Buffer;
    const policy = loadPolicySync(flagWasm);
    const fast = wasmEvaluator(policy, 0);
    expect(fast({ tool_name: 'db' })).toEqual([]);
    policy.setData({ flags: { db: 'on' } });
    expect(fast({ tool_name: 'db' })).toEqual([{ result: 'on' }]);
  });
});
