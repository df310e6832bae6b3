import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const AGT = join(import.meta.dirname, '../../dist/cli/agt.js');
const TEMPLATES = join(import.meta.dirname, '../../templates');
const TEMPLATE_NAMES = readdirSync(TEMPLATES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

function agt(args: string[], cwd?: string) {
  const result = spawnSync(process.execPath, [AGT, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const scratch = () => mkdtempSync(join(tmpdir(), 'agt-init-'));

describe('agt init', () => {
  it('writes the starter policy and its test into <dir>/policies, says what to run next, and the test passes', () => {
    const root = scratch();
    const { code, stdout, stderr } = agt(['init', 'app'], root);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      new RegExp(
        [
          'wrote app/policies/policy.yaml',
          'wrote app/policies/policy.test.yaml',
          "wrote app/keys/issuer.jwk \\(the issuer's private key, mode 0600: keep it secret\\)",
          'wrote app/agt.config.yaml \\(zero-trust; trusts issuer did:key:z6Mk\\w+\\)',
          '',
          'Next:',
          "  agt policy test app/policies  run the policy's test cases",
          '  agt lint-policy app/policies  check the policy for mistakes',
          `  agt policy eval --policy app/policies --input '\\{"tool_name":"search"\\}'`,
          '  agt identity new --out agent.jwk  make an agent key \\(prints its DID\\)',
          "  agt credential issue --issuer app/keys/issuer.jwk --subject DID .*",
          '',
        ].join('\n'),
      ),
    );
    expect(readFileSync(join(root, 'app/policies/policy.yaml'), 'utf8')).toBe(readFileSync(join(TEMPLATES, 'starter/policy.yaml'), 'utf8'));
    const test = agt(['policy', 'test', 'app/policies'], root);
    expect(test).toMatchObject({ code: 0, stderr: '' });
    expect(test.stdout).toMatch(/\n\d+ passed, 0 failed\n$/);
  });

  it('defaults to the current directory', () => {
    const root = scratch();
    expect(agt(['init'], root).code).toBe(0);
    expect(readdirSync(join(root, 'policies')).sort()).toEqual(['policy.test.yaml', 'policy.yaml']);
  });

  it('never overwrites a file without --force, and then writes nothing at all', () => {
    const root = scratch();
    agt(['init', '--template', 'sql-agent'], root);
    writeFileSync(join(root, 'policies/sql-agent.yaml'), 'mine\n');
    const refused = agt(['init', '--template', 'sql-agent'], root);
    expect(refused).toMatchObject({
      code: 2,
      stdout: '',
      stderr: 'error: policies/sql-agent.yaml, policies/sql-agent.test.yaml already exist; pass --force to overwrite\n',
    });
    expect(readFileSync(join(root, 'policies/sql-agent.yaml'), 'utf8')).toBe('mine\n');
    expect(agt(['init', '--template', 'sql-agent', '--force'], root).code).toBe(0);
    expect(readFileSync(join(root, 'policies/sql-agent.yaml'), 'utf8')).toBe(readFileSync(join(TEMPLATES, 'sql-agent/sql-agent.yaml'), 'utf8'));
  });

  it('adds a second template beside the first; each test file tests its namesake', () => {
    const root = scratch();
    agt(['init'], root);
    agt(['init', '--template', 'email-messaging-agent'], root);
    expect(agt(['policy', 'test', 'policies'], root)).toMatchObject({ code: 0, stdout: expect.stringMatching(/policies\/email-messaging-agent.test.yaml \(policy policies\/email-messaging-agent.yaml\)/) });
  });

  it('rejects an unknown template with a did-you-mean and the list of templates', () => {
    const { code, stderr } = agt(['init', '--template', 'sql-agnet'], scratch());
    expect(code).toBe(2);
    expect(stderr).toBe(`error: unknown template 'sql-agnet' (did you mean 'sql-agent'?); available: ${TEMPLATE_NAMES.join(', ')}\n`);
    expect(agt(['init', '--template', '../templates/starter'], scratch()).stderr).toMatch(/^error: unknown template '\.\.\/templates\/starter'; available: /);
  });

  it('reports a directory it cannot write into as a usage error', () => {
    const root = scratch();
    writeFileSync(join(root, 'policies'), 'a file, not a directory');
    expect(agt(['init'], root)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^error: cannot write into policies: /) });
  });

  it('quotes a directory with spaces in the commands it prints', () => {
    expect(agt(['init', 'my agent'], scratch()).stdout).toContain("agt policy test 'my agent/policies'");
  });

  it('lists the templates and examples in --help', () => {
    expect(agt(['init', '--help']).stdout).toMatch(new RegExp(`Templates: ${TEMPLATE_NAMES.join(', ')}[\\s\\S]*Examples:`));
  });

  it.each(TEMPLATE_NAMES)('scaffolds the %s template, whose test passes', (name) => {
    const root = scratch();
    expect(agt(['init', '--template', name], root)).toMatchObject({ code: 0, stderr: '' });
    const { code, stdout, stderr } = agt(['policy', 'test', 'policies'], root);
    expect(stderr).toBe('');
    expect(stdout).toMatch(/\n\d+ passed, 0 failed\n$/);
    expect(code).toBe(0);
  });
});
