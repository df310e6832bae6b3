import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Each framework's README example, run as a user would (`node examples/<framework>.mjs`, the
 * package imported by name from the built dist/): an allowed call runs, a denied call is refused
 * before the tool runs, and require_approval goes to a stand-in human who approves, after which
 * the email is sent. Every decision is in the audit trail the example prints.
 */
function runExample(name: string): { stdout: string; stderr: string; status: number | null } {
  const result = spawnSync(process.execPath, [join(import.meta.dirname, `../examples/${name}.mjs`)], { encoding: 'utf8', timeout: 60_000 });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

const DENIED = "refused  db: Action denied by policy rule 'block-destructive': Destructive operations require human approval";
const DECISIONS = ['pre_tool db allow', 'pre_tool db deny', 'pre_tool send_email require_approval', 'pre_tool send_email allow', 'post_tool send_email allow'];

describe.each(['ai-sdk', 'openai-agents', 'langchain', 'mastra', 'mcp'])('examples/%s.mjs (the README example)', (name) => {
  it('runs offline: the read runs, the drop is refused, the email waits for the human and is sent once approved', () => {
    const { stdout, stderr, status } = runExample(name);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    const lines = stdout.split('\n');
    expect(lines).toContain('ran      db read users');
    expect(lines).not.toContain('ran      db drop users');
    expect(lines.some((line) => line.startsWith('refused  db: ') && line.includes(DENIED.slice('refused  db: '.length)))).toBe(true);
    expect(lines).toContain('human    approved send_email');
    expect(lines).toContain('ran      send_email to ada@example.com');
    // The human answers before the email goes out.
    expect(lines.indexOf('human    approved send_email')).toBeLessThan(lines.indexOf('ran      send_email to ada@example.com'));
    const audit = lines.find((line) => line.startsWith('audit    '))?.slice('audit    '.length).split(' | ') ?? [];
    for (const decision of DECISIONS) expect(audit).toContain(decision);
  });

  it('is what the README shows: the README block is the example\'s core, and links to the file', () => {
    const source = readFileSync(join(import.meta.dirname, `../examples/${name}.mjs`), 'utf8');
    const start = source.indexOf('\n', source.indexOf('// --- the README example')) + 1;
    const core = source.slice(start, source.indexOf('// ------', start)).trimEnd();
    expect(core.split('\n').length).toBeGreaterThan(3);
    const readme = readFileSync(join(import.meta.dirname, '../README.md'), 'utf8');
    const block = `\n\n${core}\n\`\`\``;
    expect(readme).toContain(block);
    // The import line the README block starts with is the example's own.
    const shown = readme.slice(0, readme.indexOf(block)).split('\n').at(-1) ?? '';
    expect(shown).toMatch(/^import .* from 'agent-governance-toolkit\//);
    expect(source).toContain(shown);
    expect(readme).toContain(`[examples/${name}.mjs](examples/${name}.mjs)`);
  });
});
