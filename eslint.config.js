import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/.build/**', 'test-results/**', 'proto/generated/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'net', 'http', 'http2', 'child_process', 'undici', 'express'],
              message: 'engine/ does no I/O',
            },
            {
              group: [
                '../proxy/*',
                '../controlplane/*',
                '../rollouts/*',
                '../cli/*',
                '../../proxy/*',
                '../../controlplane/*',
                '../../rollouts/*',
                '../../cli/*',
              ],
              message: 'engine/ imports nothing of the project',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['proto/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../engine/*', '../proxy/*', '../controlplane/*', '../rollouts/*', '../cli/*'],
              message: 'proto/ is the wire contract: it imports nothing of the project',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['proxy/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/rollouts/**', '**/controlplane/**', '**/cli/**'], message: 'proxy/ imports engine/ only' },
          ],
        },
      ],
    },
  },
  {
    files: ['dashboard/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/proxy/**', '**/cli/**'],
              message: 'dashboard/ imports rollouts/, controlplane/ and engine/ only',
            },
          ],
        },
      ],
    },
  },
  {
    // the dashboard's page runs in the browser, with uPlot loaded before it
    files: ['dashboard/static/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        uPlot: 'readonly',
      },
    },
  },
  {
    files: ['rollouts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/proxy/**', '**/cli/**'], message: 'rollouts/ imports engine/ and the store interface only' },
          ],
        },
      ],
    },
  },
);
