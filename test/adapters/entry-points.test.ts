import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };

const FRAMEWORKS = /from '(@modelcontextprotocol\/sdk|ai|@ai-sdk\/[^']+|@openai\/agents[^']*|langchain|@langchain\/[^']+|@mastra\/[^']+)[/'.]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

describe('adapter entry points', () => {
  it('only the framework adapter files import a framework, so the main entry never loads one', () => {
    const importers = sources('src').filter((file) => FRAMEWORKS.test(readFileSync(file, 'utf8')));
    for (const file of importers) expect(file).toMatch(/^src\/adapters\/(?!tool-call|index)[\w-]+\.ts$/);
    expect(readFileSync('src/index.ts', 'utf8')).not.toContain('adapters');
  });

  it('each framework is an optional peer dependency, and each adapter a subpath export', () => {
    for (const [name, meta] of Object.entries(pkg.peerDependenciesMeta)) {
      expect(meta.optional).toBe(true);
      expect(pkg.peerDependencies).toHaveProperty(name);
      expect(pkg.devDependencies).toHaveProperty(name);
    }
    expect(pkg.exports['./mcp'].import).toBe('./dist/adapters/mcp.js');
  });
});
