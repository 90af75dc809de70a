import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'bench-results/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Command-line programs talk to their user on the console.
    files: ['packages/device-agent/src/cli/**', 'bench/**', '**/*.config.js', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['services/portal/public/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', fetch: 'readonly', sessionStorage: 'readonly', TextDecoder: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', AbortController: 'readonly', URLSearchParams: 'readonly', navigator: 'readonly', location: 'readonly', HTMLElement: 'readonly', console: 'readonly' } },
  },
);
