// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'deploy/kafka/**',
      '.data/**',
      '.tools/**',
      'models/**',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      // Async functions without await are how we satisfy Promise-returning interfaces; not a bug here.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'import-x/no-cycle': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'error',
      // One file, one thing a reader can hold in mind (the re-cut issue's bound).
      'max-lines': ['error', { max: 400 }],
    },
  },
  {
    // Generated code, and the PDQ kernels: unrolled loops kept side by side with the reference they transcribe.
    files: ['**/generated/**', 'packages/hashing/src/pdq-kernels.ts'],
    rules: { 'max-lines': 'off' },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**', 'packages/cli/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
