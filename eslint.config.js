// Lint for the whole repository (npm run lint): ESLint's and typescript-eslint's recommended rules,
// Prettier for layout, and the one rule of this layout: product code never imports test support.
import js from '@eslint/js';
import * as espree from 'espree';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TESTS = ['**/*.test.ts', 'test/**'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.cache/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  { languageOptions: { globals: { ...globals.node } } },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Promises nobody waits for hide failures; these need type information.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] }],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always'],
      // A closure may name a binding that is assigned once, after the closure is made.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.ts'],
    ignores: TESTS,
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/test/support/**', '**/test/**'], message: 'Product code must not import test support.' }] },
      ],
    },
  },
  {
    // Curity's JavaScript procedures: ES5 scripts for Curity's script engine, whose globals these are;
    // `result` is the entry point Curity calls, and POLICY is put in front by the generator.
    files: ['infra/curity/procedures/*.js'],
    languageOptions: {
      parser: espree,
      ecmaVersion: 5,
      sourceType: 'script',
      globals: {
        POLICY: 'readonly',
        exceptionFactory: 'readonly',
        secondsUntil: 'readonly',
        logger: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^(result|applyAgentPolicy)$' }], 'no-var': 'off' },
  },
  {
    files: TESTS,
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
