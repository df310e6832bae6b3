import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the published JSON Schema', () => {
  const schema = JSON.parse(readFileSync(join(import.meta.dirname, '../schema/policy.schema.json'), 'utf8')) as {
    properties: Record<string, unknown>;
    required: string[];
    additionalProperties: boolean;
  };

  it('describes every document key and rejects unknown ones, like the loader', () => {
    expect(Object.keys(schema.properties).sort()).toEqual(
      ['agents', 'allowed_tools', 'apiVersion', 'blocked_patterns', 'conflict_strategy', 'default_action', 'defaults', 'denied_tools', 'description', 'engines', 'extends', 'name', 'quarantine', 'rules', 'scope', 'tools', 'unconfigured_points', 'version'].sort(),
    );
    expect(schema.required).toEqual(['name']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('describes the rule keys', () => {
    const rules = schema.properties.rules as { items: { properties: Record<string, unknown>; required: string[] } };
    expect(Object.keys(rules.items.properties).sort()).toEqual(
      ['action', 'approvers', 'condition', 'description', 'enabled', 'limit', 'message', 'name', 'priority', 'redact', 'set', 'stage'].sort(),
    );
    expect(rules.items.required.sort()).toEqual(['action', 'name']);
  });

  it('describes the per-tool requirement keys', () => {
    const tools = schema.properties.tools as { additionalProperties: { properties: Record<string, unknown>; additionalProperties: boolean } };
    expect(Object.keys(tools.additionalProperties.properties).sort()).toEqual(['min_trust', 'read_only', 'ring', 'sandbox', 'verify']);
    expect(tools.additionalProperties.additionalProperties).toBe(false);
  });

  it('describes the quarantine allow-list', () => {
    const quarantine = schema.properties.quarantine as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(quarantine.properties)).toEqual(['allow']);
    expect(quarantine.additionalProperties).toBe(false);
  });

  it('describes the engine keys', () => {
    const engines = schema.properties.engines as { properties: Record<string, { properties?: Record<string, unknown>; required?: string[] }>; additionalProperties: boolean };
    expect(Object.keys(engines.properties).sort()).toEqual(['cedar', 'combine', 'rego']);
    expect(Object.keys(engines.properties.cedar?.properties ?? {}).sort()).toEqual(['entities', 'points', 'policies', 'schema']);
    expect(Object.keys(engines.properties.rego?.properties ?? {}).sort()).toEqual(['bundle', 'data', 'memory_mb', 'points', 'query', 'remote', 'source', 'timeout_ms', 'verdict', 'wasm']);
    expect(engines.properties.rego?.required).toEqual(['query']);
    expect(engines.additionalProperties).toBe(false);
  });
});
