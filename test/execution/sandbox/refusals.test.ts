import { describe, expect, it } from 'vitest';
import { BUILTIN_PROFILES, probeSandbox, sandbox, type SandboxOutcome } from '../../../src/execution/sandbox/index.js';

// Bad input never throws and never runs anything: it is a refusal that names the field and the fix.

function refused(outcome: SandboxOutcome): { code: string; reason: string; fix: string } {
  expect(outcome.outcome).toBe('refused');
  if (outcome.outcome !== 'refused') throw new Error('ran');
  return outcome;
}

describe('sandbox refusals', () => {
  it('without bubblewrap the run is refused with how to install it', () => {
    const probe = probeSandbox(['/nonexistent-dir']);
    expect(probe).toEqual({ available: false, reason: 'bubblewrap (bwrap) is not installed', fix: expect.stringContaining('apt-get install -y bubblewrap') });
  });

  it('finds the installed bubblewrap and proves it can create namespaces', () => {
    expect(probeSandbox(['/usr/bin'])).toMatchObject({ available: true, bwrap: '/usr/bin/bwrap', version: expect.stringMatching(/^bubblewrap \d/) });
  });

  it.each([
    [{}, /exactly one of `code`/],
    [{ code: 'print(1)', command: ['true'] }, /exactly one of `code`/],
    [{ language: 'ruby', code: 'puts 1' }, /language "ruby" is not one of python, node, bash/],
    [{ command: [] }, /non-empty array of strings/],
    [{ command: ['a\0b'] }, /without NUL bytes/],
    [{ command: ['true'], files: { '../escape': 'x' } }, /files: "..\/escape" is not a plain relative path/],
    [{ command: ['true'], files: { '/etc/passwd': 'x' } }, /files: "\/etc\/passwd" is not a plain relative path/],
    [{ command: ['true'], files: { './a': 'x' } }, /files: ".\/a" is not a plain relative path/],
    [{ command: ['true'], files: { a: 'x', 'a/b': 'y' } }, /files: "a\/b" lies under a path that is itself a file/],
    [{ command: ['true'], env: { 'BAD-NAME': 'x' } }, /env: "BAD-NAME" is not a variable name/],
    [{ command: ['true'], env: { LD_PRELOAD: '/work/evil.so' } }, /env: LD_PRELOAD is set by the sandbox/],
    [{ command: ['true'], timeoutMs: -1 }, /timeoutMs is -1/],
    [{ command: ['true'], timeoutMs: 10_000_000 }, /above profile 'ring3' maximum of 60000/],
    [{ command: ['true'], workdir: '/nonexistent-dir' }, /workdir \/nonexistent-dir is not a directory/],
  ])('refuses %j', async (request, reason) => {
    const refusal = refused(await sandbox.run(request as Parameters<typeof sandbox.run>[0]));
    expect(refusal.code).toBe('sandbox:bad_request');
    expect(refusal.reason).toMatch(reason);
    expect(refusal.fix.length).toBeGreaterThan(0);
  });

  it('refuses an unknown profile name, naming the ones there are', async () => {
    const refusal = refused(await sandbox.run({ command: ['true'], profile: 'ring0' }));
    expect(refusal).toMatchObject({ code: 'sandbox:bad_profile', reason: "unknown sandbox profile 'ring0'", fix: expect.stringContaining('ring3, ring2, ring1') });
  });

  it.each(['/etc/shadow', '/etc', '/', '/root/.ssh', '/home', '/proc', '/etc/../etc/shadow'])('refuses a profile that binds %s', async (path) => {
    const profile = { ...BUILTIN_PROFILES.ring2!, name: 'leaky', readOnlyPaths: [path] };
    const refusal = refused(await sandbox.run({ command: ['true'], profile }));
    expect(refusal.code).toBe('sandbox:bad_profile');
    expect(refusal.reason).toMatch(/profile 'leaky': readOnlyPaths entry/);
  });

  it('refuses a profile with a limit that is not a positive integer', async () => {
    const profile = { ...BUILTIN_PROFILES.ring3!, name: 'unbounded', limits: { ...BUILTIN_PROFILES.ring3!.limits, processes: 0 } };
    const refusal = refused(await sandbox.run({ command: ['true'], profile }));
    expect(refusal.reason).toBe("profile 'unbounded': limits.processes is 0");
  });
});
