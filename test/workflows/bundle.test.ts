/**
 * Workflow code runs in Temporal's deterministic sandbox. These tests bundle it the way a
 * worker does and prove the lint rule that keeps Node-only code out of it.
 */
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const root = path.resolve(__dirname, '../..');
const recordingLogger = () => {
  const errors: string[] = [];
  const ignore = () => undefined;
  return {
    errors,
    logger: {
      trace: ignore,
      debug: ignore,
      info: ignore,
      warn: ignore,
      log: ignore,
      error: (message: string) => void errors.push(message),
    },
  };
};

describe('workflow bundle', () => {
  it("bundles the project's workflows", async () => {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('../../workflows'),
      logger: recordingLogger().logger,
    });
    expect(code.length).toBeGreaterThan(1000);
  });

  it('refuses workflow code that imports a Node built-in', async () => {
    const { errors, logger } = recordingLogger();
    await expect(
      bundleWorkflowCode({
        workflowsPath: require.resolve('./fixtures/reads-files.workflow'),
        logger,
      }),
    ).rejects.toThrow(/Webpack finished with errors/);
    expect(errors.join('\n')).toContain('node:fs');
  });
});

describe('bundle-safety lint rule', () => {
  // The probes are not files on disk, so lint them without type information.
  const eslint = new ESLint({
    cwd: root,
    overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
  });
  const lint = async (file: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return (result?.messages ?? [])
      .filter((message) => message.ruleId === 'no-restricted-imports')
      .map((message) => message.message);
  };
  const offending = [
    "import { readFileSync } from 'node:fs';",
    "import path from 'path';",
    "import express from 'express';",
    "import { MikroORM } from '@mikro-orm/core';",
    "import { loadConfig } from '../shared/node/config';",
    'export { readFileSync, path, express, MikroORM, loadConfig };',
  ].join('\n');

  it.each(['workflows/probe.ts', 'shared/schemas/probe.ts'])(
    'flags Node-only imports in %s',
    async (file) => {
      const messages = await lint(
        file,
        offending.replace(
          '../shared/node',
          file.startsWith('shared') ? '../node' : '../shared/node',
        ),
      );
      expect(messages).toHaveLength(5);
    },
  );

  it('allows them in Node-only code', async () => {
    expect(
      await lint('shared/node/probe.ts', offending.replace('../shared/node/config', './config')),
    ).toEqual([]);
  });
});
