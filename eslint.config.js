// Lint: typescript-eslint's recommended rules for every TypeScript file; formatting is prettier's job.
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.venv/**', 'envoy/bin/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // `_name` marks a value destructured away on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      'prefer-const': 'error',
    },
  },
  {
    // Spreading an input-sized array into a call's arguments puts every element on the stack: 135,000
    // diagnostics overflowed it and froze every rebuild. Append with a loop (pushAll) instead.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression > SpreadElement', message: 'no argument spread in src/: an input-sized array overflows the stack; use pushAll or a loop' },
        { selector: 'NewExpression > SpreadElement', message: 'no argument spread in src/: an input-sized array overflows the stack' },
      ],
    },
  },
  {
    // chai's property assertions (`expect(x).to.exist`) are expressions by design.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
);
