import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { POLICY_TEST_FILE } from '../policy/document/files.js';
import { suggest } from '../core/suggest.js';
import { UsageError } from './errors.js';
import { pathKind } from './paths.js';
import { writeDeployment, ISSUER_KEY_FILE } from './init-deployment.js';

/**
 * The policy templates shipped with the package (`templates/<name>/`: a policy and its test
 * file). Found beside the built file, so an installed package finds its own copy wherever it
 * is run from.
 */
const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));
const DEFAULT_TEMPLATE = 'starter';

interface InitOptions {
  template?: string;
  force?: boolean;
  json?: boolean;
}

/** `agt init`: write a starter policy (or a named template) and its test into <dir>/policies/. */
export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a starter policy and its test into <dir>/policies/, and a zero-trust agt.config.yaml with a fresh issuer key')
    .argument('[dir]', 'project directory', '.')
    .option('--template <name>', `template to start from (default: ${DEFAULT_TEMPLATE})`)
    .option('--force', 'overwrite files that already exist')
    .option('--json', 'print { dir, template, written } as JSON')
    .addHelpText(
      'after',
      () => `
Templates: ${templateNames().join(', ')}

Files that already exist are left alone, and nothing is written, unless --force is given.
An existing agt.config.yaml is always kept, and an existing ${ISSUER_KEY_FILE} is reused,
never overwritten (--force applies to the policy files only).

Examples:
  agt init                              policies/policy.yaml and policies/policy.test.yaml
  agt init my-agent --template sql-agent
  agt policy test policies              run the cases of the files written`,
    )
    .action((dir: string, options: InitOptions) => {
      const name = options.template ?? DEFAULT_TEMPLATE;
      const names = templateNames();
      if (!names.includes(name)) {
        const close = suggest(name, names);
        throw new UsageError(`unknown template '${name}'${close ? ` (did you mean '${close}'?)` : ''}; available: ${names.join(', ')}`);
      }
      const fix = 'pass agt init a project folder (it is made if missing)';
      if (!['missing', 'directory'].includes(pathKind(dir, fix))) throw new UsageError(`${dir} is not a directory; ${fix}`);
      const source = join(TEMPLATES_DIR, name);
      const target = join(dir, 'policies');
      const files = readdirSync(source, { withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name)
        // the policy before its test file
        .sort((a, b) => Number(POLICY_TEST_FILE.test(a)) - Number(POLICY_TEST_FILE.test(b)) || (a < b ? -1 : a > b ? 1 : 0));
      const existing = files.map((file) => join(target, file)).filter((path) => existsSync(path));
      // Check every file before writing any, so a refusal leaves the project as it was.
      if (existing.length > 0 && !options.force) {
        throw new UsageError(`${existing.join(', ')} already exist${existing.length === 1 ? 's' : ''}; pass --force to overwrite`);
      }
      const written: string[] = [];
      try {
        mkdirSync(target, { recursive: true });
        for (const file of files) {
          // 'wx' still refuses a file that appeared since the check above.
          writeFileSync(join(target, file), readFileSync(join(source, file)), { flag: options.force ? 'w' : 'wx' });
          written.push(join(target, file));
          if (!options.json) process.stdout.write(`wrote ${join(target, file)}\n`);
        }
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        throw new UsageError(`cannot write into ${target}: ${e.code === 'EEXIST' ? `${e.path ?? 'a file'} already exists` : e.message}`);
      }
      const deployment = writeDeployment(dir);
      if (deployment.issuerKeyWritten) written.push(deployment.issuerKey);
      if (deployment.configWritten) written.push(deployment.config);
      if (options.json) {
        process.stdout.write(JSON.stringify({ dir: target, template: name, written, config: deployment.config, issuer: deployment.issuerDid }) + '\n');
        return;
      }
      if (deployment.issuerKeyWritten) process.stdout.write(`wrote ${deployment.issuerKey} (the issuer's private key, mode 0600: keep it secret)\n`);
      if (deployment.configWritten) process.stdout.write(`wrote ${deployment.config} (zero-trust; trusts issuer ${deployment.issuerDid ?? ''})\n`);
      else process.stdout.write(`kept ${deployment.config}\n`);
      const where = shellWord(target);
      const key = shellWord(deployment.issuerKey);
      process.stdout.write(
        `\nNext:\n  agt policy test ${where}  run the policy's test cases\n  agt lint-policy ${where}  check the policy for mistakes\n` +
          `  agt policy eval --policy ${where} --input '{"tool_name":"search"}'\n` +
          `  agt identity new --out agent.jwk  make an agent key (prints its DID)\n` +
          `  agt credential issue --issuer ${key} --subject DID --ring 2 --roles support --tools 'search' --ttl 1h --out agent.cred\n`,
      );
    });
}

/** Names of the shipped templates: the directories of TEMPLATES_DIR, in name order. */
function templateNames(): string[] {
  try {
    return readdirSync(TEMPLATES_DIR, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    throw new Error(`the policy templates are missing from ${TEMPLATES_DIR}; reinstall agent-governance-toolkit`);
  }
}

/** `path` as one shell word, quoted only when it needs to be, so the printed commands can be pasted. */
function shellWord(path: string): string {
  return /^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}
