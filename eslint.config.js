// ESLint flat config: typescript-eslint's type-aware recommended rules over every TypeScript and
// JavaScript file, with the types of the tsconfig that owns each file (bench/ has its own).
// Formatting is prettier's job (`just lint` runs both), so no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'cdk.out/', '.local/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is typed by the nearest tsconfig; this config file is in none, so it gets the default project.
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // `const { dropped, ...rest } = object` is how a field is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    // TypeScript itself reports undefined names in .ts files (typescript-eslint's advice); plain
    // .mjs/.js are not type-checked (no checkJs), so they keep no-undef and get Node's globals.
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', performance: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', fetch: 'readonly' },
    },
  },
  {
    // Tests, benchmarks and dev scripts read JSON they did not type: synthesized CloudFormation
    // templates, bench results, package-lock.json, moto's and the runtime's answers. They walk it and
    // let expect()/the script fail on a wrong shape; typing every template path would add types that
    // check nothing the assertions do not. The product's code (lib, container, lambdas, bin) keeps
    // every one of these rules.
    files: ['tests/**', 'bench/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // For the same reason the tests and dev scripts declare that JSON `any` where they read it (a
    // template's Properties, a manifest's artifacts); bench/ marks its few such places inline.
    files: ['tests/**', 'scripts/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
