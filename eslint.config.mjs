// ESLint (flat config), run by `npm run lint` and by `npm test`. The rule sets a Next.js
// project uses: typescript-eslint's recommended rules everywhere, the React hooks rules (with
// the React Compiler's checks) for the React code, and Next's own rules for the pages.
// typescript-eslint's type-aware rules are left out: they need a full type check per run,
// which `npm run typecheck` already does once.
import js from '@eslint/js';
import nextPlugin from '@next/eslint-plugin-next';
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['.next*/', 'node_modules/', 'test-results/', 'bench-results/', 'coverage/', 'next-env.d.ts']),
  {
    // A disable comment that no longer protects anything is an error, so none linger.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a parameter or binding kept on purpose (an interface's
      // signature, a destructured field left out of a copy).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['app/**/*.{ts,tsx}', 'components/**/*.{ts,tsx}', 'hooks/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
  },
  {
    files: ['app/**/*.{ts,tsx}'],
    extends: [nextPlugin.configs['core-web-vitals']],
  },
  {
    // The two CommonJS configuration files Next.js and Jest load.
    files: ['*.js'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
]);
