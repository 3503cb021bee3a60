// ESLint (flat config): typescript-eslint's type-aware recommended rules, with the exceptions
// below, each for a reason; formatting is prettier's alone (eslint-config-prettier turns off the
// rules that would fight it).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'demo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Errors from sockets and libraries are unknown and passed on as they came.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/only-throw-error': ['error', { allowThrowingUnknown: true }],
      // Operators hand out plain closures; the few object-literal methods flagged never use `this`.
      '@typescript-eslint/unbound-method': 'off',
      // String(unknown) is how a peer's odd value (a header, a code) is shown as it came.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // The byte scanners compare raw bytes (numbers) with the grammar's const-enum codes by design.
    files: ['lib/sources/scanJsonObject.ts', 'lib/sources/jsonTokens.ts'],
    rules: { '@typescript-eslint/no-unsafe-enum-comparison': 'off' },
  },
  {
    // The simulators answer a refused handshake or request by throwing its HTTP answer.
    files: ['lib/simulators/**'],
    rules: { '@typescript-eslint/only-throw-error': 'off' },
  },
  {
    // Specs read JSON bodies and logs freely and assert with chai's property chains.
    files: ['spec/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  { files: ['**/*.mjs', '**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  prettier,
);
