// Lint rules. The important project rule: workflow code and the bundle-safe root of shared/
// may not import Node built-ins or Node-only packages (they must run in Temporal's sandbox).
import { builtinModules } from 'node:module';
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_ONLY_PACKAGES = [
  '@mikro-orm/*',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
  '@temporalio/proto',
  '@modelcontextprotocol/*',
  '@pinecone-database/*',
  'express',
  'jose',
  'openai',
  'pg',
  'libsql',
  'pino',
  'pino-http',
  'swagger-ui-express',
];

const bundleSafeImports = {
  'no-restricted-imports': [
    'error',
    {
      paths: builtinModules.map((name) => ({
        name,
        message: 'Workflow and bundle-safe shared code cannot use Node built-ins.',
      })),
      patterns: [
        {
          group: ['node:*'],
          message: 'Workflow and bundle-safe shared code cannot use Node built-ins.',
        },
        {
          group: NODE_ONLY_PACKAGES,
          message: 'Node-only package: use it from activities/, api/, worker/ or shared/node/.',
        },
        {
          // shared/node, activities, api and worker, however the relative path reaches them
          regex: '(^|/)shared/node(/|$)|^(\\.\\./)+(activities|api|worker)(/|$)|^\\.\\.?/node(/|$)',
          message: 'Workflow and bundle-safe shared code cannot import Node-only project code.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.kasal/', '**/migrations/Migration*.ts'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/only-throw-error': 'error',
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through shared/node/config.ts.',
        },
      ],
    },
  },
  {
    files: ['workflows/**/*.ts', 'shared/**/*.ts'],
    ignores: ['shared/node/**'],
    rules: bundleSafeImports,
  },
  {
    files: ['shared/node/config.ts', 'test/**/*.ts', 'deploy/**/*.ts', '*.config.*'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Response bodies in tests are whatever the server sent.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['**/*.mjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
);
