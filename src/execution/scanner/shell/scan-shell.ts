import type { Node } from 'web-tree-sitter';
import type { Finding } from '../finding.js';
import { finding, type RuleId } from '../rules.js';
import { looksLikeSecret } from '../secrets.js';
import { withTree } from '../tree-sitter/grammars.js';
import { firstSyntaxError, treeRange, walkTree } from '../tree-sitter/syntax-nodes.js';
import { descendants, pipelineCommands, simpleCommand, unquote, type SimpleCommand } from './shell-commands.js';

const DOWNLOADERS = new Set(['curl', 'wget']);
const INTERPRETERS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'python', 'python3', 'perl', 'ruby', 'node', 'eval', 'source', '.']);
const SSH_DIR = /(?:^|\/|~|\})\.ssh(?:\/|$)/;
/** Programs whose last argument is where they write. */
const WRITES_LAST = new Set(['cp', 'mv', 'install', 'ln', 'rsync', 'scp']);
/** Programs that write every path they are given. */
const WRITES_ALL = new Set(['tee', 'touch', 'mkdir', 'truncate']);
/** The node types the walk below acts on. */
const VISITED = new Set(['pipeline', 'command', 'file_redirect', 'variable_assignment']);
const WORLD_WRITABLE = /^(?:0?[0-7]?777|(?:a|ugo)\+rwx|o\+w)$/;

/** Scans one shell script with the tree-sitter bash grammar. */
export function scanShell(file: string, text: string): Promise<Finding[]> {
  return withTree('bash', text, (tree) => {
    const findings: Finding[] = [];
    const report = (rule: RuleId, node: Node, message: string): void => void findings.push(finding(rule, file, treeRange(node), message));
    const broken = firstSyntaxError(tree);
    if (broken) report('parse-error', broken, `does not parse near '${broken.text.slice(0, 80).replace(/\s+/g, ' ').slice(0, 40)}'`);

    walkTree(tree, VISITED, (node) => {
      switch (node.type) {
        case 'pipeline':
          checkPipeline(node, report);
          break;
        case 'command': {
          const command = simpleCommand(node);
          if (command) checkCommand(node, command, report);
          break;
        }
        case 'file_redirect': {
          const destination = node.childForFieldName('destination');
          const operator = node.child(0)?.text ?? '';
          if (destination && operator.includes('>') && SSH_DIR.test(destination.text)) report('ssh-dir-write', node, `redirect writes into ${destination.text}`);
          break;
        }
        case 'variable_assignment': {
          const value = node.childForFieldName('value');
          const name = node.childForFieldName('name')?.text;
          if (value && (value.type === 'word' || value.type === 'raw_string' || (value.type === 'string' && descendants(value, ['simple_expansion', 'expansion', 'command_substitution']).length === 0))) {
            if (looksLikeSecret(name, unquote(value.text))) report('hardcoded-secret', value, `'${name ?? ''}' holds what looks like a credential`);
          }
          break;
        }
      }
    });
    return findings;
  });
}

type Report = (rule: RuleId, node: Node, message: string) => void;

/** `curl ... | sh`: a download piped into an interpreter later in the same pipeline. */
function checkPipeline(node: Node, report: Report): void {
  const commands = pipelineCommands(node);
  const download = commands.findIndex((command) => DOWNLOADERS.has(command.program));
  if (download === -1) return;
  const shell = commands.slice(download + 1).find((command) => INTERPRETERS.has(command.program));
  if (shell) report('curl-pipe-shell', node, `output of ${commands[download]?.program} is piped into ${shell.program}`);
}

function checkCommand(node: Node, command: SimpleCommand, report: Report): void {
  const { program, args } = command;
  const texts = args.map((arg) => unquote(arg.text));
  if (INTERPRETERS.has(program)) {
    // `bash <(curl ...)`, `sh -c "$(wget -O- ...)"`, `eval "$(curl ...)"`
    const fetched = args.some((arg) => descendants(arg, ['process_substitution', 'command_substitution']).some((sub) => /\b(?:curl|wget)\b/.test(sub.text)));
    if (fetched) report('curl-pipe-shell', node, `${program} runs a script downloaded in the same line`);
  }
  if (program === 'rm') {
    const flags = texts.filter((text) => text.startsWith('-') && text !== '--');
    const letters = flags.filter((flag) => !flag.startsWith('--')).join('');
    const recursive = /[rR]/.test(letters) || flags.includes('--recursive');
    const force = letters.includes('f') || flags.includes('--force');
    const variable = args.find((arg) => !arg.text.startsWith('-') && descendants(arg, ['simple_expansion', 'expansion']).some((expansion) => !/^\$\{[^}]*:\?/.test(expansion.text)));
    if (recursive && force && variable) report('rm-rf-variable', node, `rm -rf on ${variable.text}, which is empty or wrong if the variable is`);
  } else if (program === 'chmod') {
    const mode = texts.find((text) => WORLD_WRITABLE.test(text));
    if (mode !== undefined) report('chmod-777', node, `chmod ${mode} lets every user write`);
  } else {
    const targets = WRITES_LAST.has(program) ? texts.slice(-1) : WRITES_ALL.has(program) ? texts : program === 'dd' ? texts.filter((text) => text.startsWith('of=')) : [];
    const ssh = targets.find((text) => SSH_DIR.test(text));
    if (ssh !== undefined) report('ssh-dir-write', node, `${program} writes into ${ssh}`);
  }
}
