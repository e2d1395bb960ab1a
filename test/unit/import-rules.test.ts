import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/** The import rule of docs/architecture.md, as the lint applies it (eslint.config.js). */
describe('import rules', () => {
  const eslint = new ESLint();
  const lint = async (file: string, from: string) => {
    const [result] = await eslint.lintText(`import { x } from '${from}';\nexport const y = x;\n`, {
      filePath: file,
    });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').length > 0;
  };

  it.each([
    {
      name: 'the controller may not import the worker',
      file: 'src/controller/a.ts',
      from: '../worker/b.js',
      refused: true,
    },
    {
      name: 'the worker may not import the controller',
      file: 'src/worker/a.ts',
      from: '../controller/b.js',
      refused: true,
    },
    {
      name: 'the worker may not import a command message',
      file: 'src/worker/a.ts',
      from: '../worklist/read.js',
      refused: true,
    },
    {
      name: 'printers may not import the controller',
      file: 'src/printers/a.ts',
      from: '../controller/b.js',
      refused: true,
    },
    {
      name: 'create may not import install',
      file: 'src/create/a.ts',
      from: '../install/manifests.js',
      refused: true,
    },
    {
      name: 'worklist may not import create',
      file: 'src/worklist/a.ts',
      from: '../create/objects.js',
      refused: true,
    },
    {
      name: 'api imports nothing of Teamtask',
      file: 'src/api/v1alpha1/a.ts',
      from: '../../kube/errors.js',
      refused: true,
    },
    {
      name: 'nothing below the CLI imports it',
      file: 'src/install/a.ts',
      from: '../cli/base-command.js',
      refused: true,
    },
    {
      name: 'the controller may import the ledger',
      file: 'src/controller/a.ts',
      from: '../ledger/ledger.js',
      refused: false,
    },
    {
      name: 'the worker may import the well-known names',
      file: 'src/worker/a.ts',
      from: '../api/names.js',
      refused: false,
    },
    {
      name: 'a command may import anything',
      file: 'src/commands/a.ts',
      from: '../controller/controller.js',
      refused: false,
    },
    { name: 'a folder may import its own files', file: 'src/worker/a.ts', from: './b.js', refused: false },
  ])('$name', async ({ file, from, refused }) => {
    expect(await lint(file, from)).toBe(refused);
  });
});
