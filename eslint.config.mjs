// npm run lint: typescript-eslint's type-checked recommended rules, Prettier's formatting (eslint-config-prettier
// turns off the rules it owns), and the dependency rules of .dependency-cruiser.cjs.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/artifacts/', '**/*.js', '**/*.mjs', '**/*.mts', '**/*.cjs'] },
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
  {
    // The console (console/): nothing from the API becomes HTML, and the credentials stay in memory (issue 26).
    files: ['console/**/*.{ts,tsx}'],
    rules: {
      // Event handlers may be async: what they do with a failure is shown on the page (ui.tsx).
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      'no-restricted-syntax': [
        'error',
        { selector: "JSXAttribute[name.name='dangerouslySetInnerHTML']", message: 'The console writes text, never HTML.' },
      ],
      'no-restricted-globals': [
        'error',
        ...['localStorage', 'sessionStorage', 'indexedDB', 'caches'].map((name) => ({
          name,
          message: 'The console keeps the API key and its data in memory only.',
        })),
      ],
      'no-restricted-properties': [
        'error',
        { object: 'document', property: 'cookie', message: 'The console keeps the API key in memory only.' },
        { object: 'document', property: 'write', message: 'The console writes text, never HTML.' },
        ...['innerHTML', 'outerHTML', 'insertAdjacentHTML'].map((property) => ({ property, message: 'The console writes text, never HTML.' })),
      ],
    },
  },
  prettier,
);
