// SPDX-License-Identifier: Apache-2.0
// ESLint flat config: typescript-eslint's strict, type-checked rules over all packages; the
// recommended JavaScript rules over the Node scripts, tests' setup files and configs.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const SCRIPTS_ESM = ['scripts/**/*.mjs', 'test/**/*.mjs', '*.mjs'];
const SCRIPTS_CJS = ['scripts/**/*.js', 'test/**/*.js', '*.js', 'app/bin/*.js'];

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.data/**', '.fabric/**', '.network/**', '**/*.d.ts'],
  },
  js.configs.recommended,
  // JavaScript: no type information, so none of the type-checked rules.
  { files: SCRIPTS_ESM, languageOptions: { sourceType: 'module', globals: globals.node } },
  { files: SCRIPTS_CJS, languageOptions: { sourceType: 'commonjs', globals: globals.node } },
  ...tseslint.configs.strictTypeChecked.map((config) => ({ ...config, files: ['**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // The linter holds the line on size, as fabric-gateway's node/eslint.config.base.mjs does.
      complexity: ['error', 15],
      '@typescript-eslint/explicit-module-boundary-types': 'error',
    },
  },
  {
    // Fixed nonces and cache controls are for tests and bench scripts only (issue 7 §4).
    files: ['*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@medshare/crypto/testing'], message: 'test knobs: tests and bench scripts only' }] },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/testing/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/use-unknown-in-catch-callback-variable': 'off',
    },
  },
);
