import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The import rule of src/ (docs/architecture.md): each folder may import only from the folders
 * listed for it; a folder not listed (commands/, the top) may import from any. So the controller
 * and the worker never import each other, and nothing below the CLI imports it.
 */
const LAYERS = {
  api: [],
  ledger: ['api'],
  kube: ['api'],
  printers: ['api', 'ledger', 'kube'],
  controller: ['api', 'ledger', 'kube'],
  worker: ['api', 'ledger', 'kube'],
  create: ['api', 'ledger', 'kube'],
  worklist: ['api', 'ledger', 'kube'],
  install: ['api', 'kube', 'printers'],
  cli: ['api', 'ledger', 'kube', 'printers'],
  gateway: ['api', 'ledger', 'kube', 'printers', 'worker'],
};
const FOLDERS = [
  'api',
  'ledger',
  'kube',
  'printers',
  'controller',
  'worker',
  'create',
  'worklist',
  'install',
  'cli',
  'gateway',
  'commands',
];

const importRules = Object.entries(LAYERS).map(([folder, allowed]) => {
  const forbidden = FOLDERS.filter((f) => f !== folder && !allowed.includes(f));
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: forbidden.map((f) => ({
            group: [`../${f}/**`, `../../${f}/**`, `../../../${f}/**`],
            message: `src/${folder}/ may import only from ${[folder, ...allowed].map((a) => `src/${a}/`).join(', ')} (docs/architecture.md)`,
          })),
        },
      ],
    },
  };
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['test/**', 'scripts/**', 'vitest.config.ts'],
    rules: { 'no-console': 'off' },
  },
  ...importRules,
);
