// npm run lint: typescript-eslint's type-checked recommended rules, Prettier's formatting (eslint-config-prettier
// turns off the rules it owns), and the dependency rules of .dependency-cruiser.cjs.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/artifacts/', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // `void promise` marks a promise left to run on purpose.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // A `let` that signal handlers read before it is set (main.ts, cli.ts) cannot be a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // What null means on an optional field is said once, in common/dto-decorators.ts (left out, or a meaning of its own).
    files: ['src/**/*.ts'],
    ignores: ['src/common/dto-decorators.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'class-validator',
              importNames: ['IsOptional'],
              message:
                'IsOptional lets null through unchecked: use Optional() (null is left out), OptionalOrNull() (null means something) or OptionalQuery() from common/dto-decorators.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read answers (supertest's `body`, parsed JSON) that are `any` by nature.
    files: ['test/**/*.ts', 'src/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Tables of cases give every case an async producer, some of which need no await.
      '@typescript-eslint/require-await': 'off',
    },
  },
  prettier,
);
