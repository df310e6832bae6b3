import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { shownArgument } from '../../src/cli/shown-argument.js';

// A token or a private key pasted where a file name or a DID belongs (a slip of the clipboard)
// is never echoed back: not to the terminal, not to a CI log. The refusal is still one line,
// exit 2, and says what was expected.

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const dir = mkdtempSync(join(tmpdir(), 'agt-secret-arguments-'));

function agt(args: string[]) {
  const result = spawnSync(process.execPath, [AGT, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, output: result.stdout + result.stderr };
}

describe('a token or key given as an argument is not echoed in an error', () => {
  expect(agt(['identity', 'new', '--out', 'agent.jwk']).code).toBe(0);
  expect(agt(['identity', 'new', '--out', 'issuer.jwk']).code).toBe(0);
  const did = agt(['identity', 'show', 'agent.jwk', '--json']).output;
  const subject = (JSON.parse(did) as { did: string }).did;
  expect(agt(['credential', 'issue', '--issuer', 'issuer.jwk', '--subject', subject, '--tools', 'crm.*', '--ttl', '1h', '--out', 'agent.cred']).code).toBe(0);
  const token = readFileSync(join(dir, 'agent.cred'), 'utf8').trim().split('\n')[0] as string;
  const privatePart = (JSON.parse(readFileSync(join(dir, 'agent.jwk'), 'utf8')) as { d: string }).d;

  const cases: [string, string[]][] = [
    ['identity show <token>', ['identity', 'show', token]],
    ['identity show <private key>', ['identity', 'show', privatePart]],
    ['identity show --json <token>', ['identity', 'show', token, '--json']],
    ['credential issue --subject <token>', ['credential', 'issue', '--issuer', 'issuer.jwk', '--subject', token, '--tools', 'a', '--ttl', '1h', '--out', 'x.cred']],
    ['credential delegate --credential <token>', ['credential', 'delegate', '--key', 'agent.jwk', '--credential', token, '--subject', subject, '--tools', 'crm.read', '--ttl', '1m', '--out', 'y.cred']],
    ['identity sign --key <private key>', ['identity', 'sign', '--key', privatePart, '--credential', 'agent.cred', '--input', 'r.json', '--aud', 'agt://x']],
    ['identity sign --key=<private key>', ['identity', 'sign', `--key=${privatePart}`, '--credential', 'agent.cred', '--input', 'r.json', '--aud', 'agt://x']],
    ['identity sign --credential <token>', ['identity', 'sign', '--key', 'agent.jwk', '--credential', token, '--input', 'r.json', '--aud', 'agt://x']],
    ['policy eval --inputs <token>', ['policy', 'eval', '--policy', 'none.yaml', '--inputs', token]],
    ['audit verify --store <token>', ['audit', 'verify', '--store', token]],
  ];
  for (const [name, args] of cases) {
    it(name, () => {
      const run = agt(args);
      expect(run.code).toBe(2);
      expect(run.output).toMatch(/^error: /);
      expect(run.output).not.toContain(token.slice(0, 60));
      expect(run.output).not.toContain(token.split('.')[2]);
      expect(run.output).not.toContain(privatePart.slice(0, 16));
      expect(run.output).not.toMatch(/\n\s+at .+:\d+:\d+/);
    });
  }

  it('a mistyped file name is still named, so the user can fix it', () => {
    expect(agt(['identity', 'show', 'agnet.jwk']).output).toMatch(/'agnet\.jwk' is neither a did:key nor an existing file/);
    expect(shownArgument('keys/issuer.jwk')).toBe('keys/issuer.jwk');
    expect(shownArgument('agnet.jwk', true)).toBe("'agnet.jwk'");
    expect(shownArgument(`Bearer ${token}`)).toMatch(/not shown/);
    expect(shownArgument('{"kty":"OKP","d":"x"}')).toMatch(/not shown/);
  });
});
