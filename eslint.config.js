// Lint rules: typescript-eslint's recommended set, plus the project's own bans
// (no `any` leaking from public API, no floating promises in governance paths).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// src/policy/ is laid out by stage, each depending only on the ones before it:
//   language/ ← document/ ← compile/ ← evaluate/ ← engines/ ← lint/, testing/
// and the top level of src/policy/ composes them (index.ts above everything). The rule below
// enforces that order on import paths (test/policy/layout.test.ts checks the same without ESLint).
// lint/ and testing/ also build on the composition they drive (loader.ts, evaluator.ts), never
// on index.ts; the top-level modules other than index.ts do not import lint/ or testing/.
// Nothing in src/policy/ imports the kernel, the adapters or the CLI.
export const POLICY_STAGES = {
  language: [],
  document: ['language'],
  compile: ['language', 'document'],
  evaluate: ['language', 'document', 'compile'],
  engines: ['language', 'document', 'compile', 'evaluate'],
  lint: ['language', 'document', 'compile', 'evaluate', 'engines', 'loader.js', 'evaluator.js'],
  testing: ['language', 'document', 'compile', 'evaluate', 'engines', 'loader.js', 'evaluator.js'],
};
const OUTSIDE_POLICY = {
  regex: String.raw`^(\.\./)+(kernel|adapters|cli)(/|\.js$|$)`,
  message: 'src/policy/ does not depend on the kernel, the adapters or the CLI.',
};
const policyLayout = [
  ...Object.entries(POLICY_STAGES).map(([stage, allowed]) => {
    const names = allowed.map((name) => (name.endsWith('.js') ? `${name.replace('.', String.raw`\.`)}$` : `${name}/`));
    return {
      files: [`src/policy/${stage}/**/*.ts`],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              {
                // `../x` is src/policy/x: another stage or a top-level module.
                regex: String.raw`^\.\./(?!\.\./)${names.length ? `(?!${names.join('|')})` : ''}`,
                message: `src/policy/${stage}/ may import only ${allowed.length ? allowed.join(', ') : 'its own folder'} (and modules outside src/policy): see the stage order in eslint.config.js.`,
              },
              { regex: String.raw`^\.\./\.\./policy(/|$)`, message: 'import a policy stage by its relative path inside src/policy/.' },
              OUTSIDE_POLICY,
            ],
          },
        ],
      },
    };
  }),
  {
    files: ['src/policy/*.ts'],
    ignores: ['src/policy/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: String.raw`^\./(lint|testing)/|^\./index\.js$`, message: 'the top-level policy modules other than index.ts do not import lint/, testing/ or index.ts (which build on them).' },
            OUTSIDE_POLICY,
          ],
        },
      ],
    },
  },
  { files: ['src/policy/index.ts'], rules: { 'no-restricted-imports': ['error', { patterns: [OUTSIDE_POLICY] }] } },
];

export default tseslint.config(
  // The scanner's corpus is deliberately vulnerable code in other languages and unbuilt shapes.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test/execution/scanner/corpus/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...policyLayout,
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', performance: 'readonly', setTimeout: 'readonly', AbortController: 'readonly' },
    },
  },
);
