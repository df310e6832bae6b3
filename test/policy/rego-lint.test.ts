import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintPolicies } from '../../src/policy/lint/lint.js';
import { policyWith, tree } from './engines/tree.js';

const REGO = `package agt.ranges

import rego.v1

default allow := false

# request-sized, directly
allow if count(numbers.range(1, input.args.n)) > 0

# request-sized, through a local variable
big if {
	n := input.args.big
	count(numbers.range(0, n)) > 3
}

# request-sized, through another rule and range_step
limit := input.args.limit

steps := numbers.range_step(0, limit, 2)

# fine: constant bounds, and a bound clamped by data, not the request
small := numbers.range(1, 10)

pages := numbers.range(1, data.max_pages)
`;

describe('lint: rego-request-range', () => {
  it('warns at each numbers.range / range_step whose bounds come from the request, located in the .rego file, parsed by OPA', () => {
    const root = tree({ 'r.rego': REGO, 'p.yaml': policyWith('  rego: { source: r.rego, query: agt/ranges/allow }\n') });
    const { findings, errors } = lintPolicies([join(root, 'p.yaml')]);
    const ranges = findings.filter((f) => f.code === 'rego-request-range');
    expect(ranges.map((f) => [f.severity, `${f.line}:${f.column}`])).toEqual([
      ['warning', '8:16'],
      ['warning', '13:8'],
      ['warning', '19:10'],
    ]);
    expect(ranges[0]).toMatchObject({
      file: relative(process.cwd(), join(root, 'r.rego')),
      message: 'numbers.range takes a bound from the request: its size (time and memory) is the caller\'s to choose',
      hint: expect.stringMatching(/clamp the bound.*timeout_ms/) as string,
    });
    expect(ranges[2]?.message).toMatch(/^numbers\.range_step /);
    expect(errors).toBe(0);
  });

  it('is silent for a policy without request-sized ranges', () => {
    const root = tree({ 'r.rego': 'package x\n\nimport rego.v1\n\ndefault allow := false\n\nallow if input.tool_name in {"a", "b"}\n', 'p.yaml': policyWith('  rego: { source: r.rego, query: x/allow }\n') });
    expect(lintPolicies([join(root, 'p.yaml')]).findings.filter((f) => f.code === 'rego-request-range')).toEqual([]);
  });
});
