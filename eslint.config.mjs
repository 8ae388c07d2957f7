import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.cache/**', '.data/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only config.ts files read the environment (README, "Configuration").
      'no-process-env': 'error',
    },
  },
  {
    files: ['**/config.ts', '**/*.spec.ts', '**/*.integration.ts', 'test/**/*.ts'],
    rules: { 'no-process-env': 'off' },
  },
);
