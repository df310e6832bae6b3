import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../../src/policy/simple-engine.js';

describe('PolicyEngine (the simple rule API)', () => {
  it('runs the seed example', () => {
    const engine = new PolicyEngine([
      { action: 'web_search', effect: 'allow' },
      { action: 'shell_exec', effect: 'deny' },
    ]);
    expect(engine.evaluate('web_search')).toBe('allow');
    expect(engine.evaluate('shell_exec')).toBe('deny');
  });

  it('denies what no rule matches', () => {
    expect(new PolicyEngine([{ action: 'a', effect: 'allow' }]).evaluate('b')).toBe('deny');
    expect(new PolicyEngine().evaluate('anything')).toBe('deny');
  });

  it('supports * and prefix.* globs; prefix.* also matches the bare prefix', () => {
    const engine = new PolicyEngine([
      { action: 'fs.*', effect: 'allow' },
      { action: 'db_*_read', effect: 'allow' },
      { action: 'net.*', effect: 'review' },
    ]);
    expect(engine.evaluate('fs')).toBe('allow');
    expect(engine.evaluate('fs.read.deep')).toBe('allow');
    expect(engine.evaluate('fsx.read')).toBe('deny');
    expect(engine.evaluate('db_users_read')).toBe('allow');
    expect(engine.evaluate('db_users_write')).toBe('deny');
    expect(engine.evaluate('net.get')).toBe('review');
    expect(new PolicyEngine([{ action: '*', effect: 'allow' }]).evaluate('x')).toBe('allow');
  });

  it('lets the first matching rule decide, also on repeated (memoized) calls', () => {
    const engine = new PolicyEngine([
      { action: 'tools.shell', effect: 'deny' },
      { action: 'tools.*', effect: 'allow' },
    ]);
    for (let i = 0; i < 3; i++) {
      expect(engine.evaluate('tools.shell')).toBe('deny');
      expect(engine.evaluate('tools.search')).toBe('allow');
    }
  });

  it('checks optional conditions against the context', () => {
    const engine = new PolicyEngine([{ action: 'deploy', effect: 'allow', conditions: { env: 'staging' } }]);
    expect(engine.evaluate('deploy', { env: 'staging' })).toBe('allow');
    expect(engine.evaluate('deploy', { env: 'prod' })).toBe('deny');
    expect(engine.evaluate('deploy')).toBe('deny');
  });

  it('rejects malformed rules at construction', () => {
    expect(() => new PolicyEngine([{ action: '', effect: 'allow' }])).toThrow(/rules\[0\].action/);
    expect(() => new PolicyEngine([{ action: 'x', effect: 'maybe' as 'allow' }])).toThrow(/rules\[0\].effect/);
  });
});
