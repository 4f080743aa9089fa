// Three suites, run separately or together: unit (pure logic), integration (a real hub on
// port 0 and real sockets), browser (the real server in headless Chromium).
const nextJest = require('next/jest');

const createJestConfig = nextJest({ dir: __dirname });

// ESM-only packages that Jest must transform.
const ESM_PACKAGES = ['jose'];

async function project(name, overrides = {}) {
  const config = await createJestConfig({
    displayName: name,
    testEnvironment: 'node',
    testMatch: [`<rootDir>/tests/${name}/**/*.test.ts?(x)`],
    moduleNameMapper: { '^@/(.*)$': '<rootDir>/$1' },
    ...overrides,
  })();
  config.transformIgnorePatterns = [`/node_modules/(?!(${ESM_PACKAGES.join('|')})/)`];
  return config;
}

module.exports = async () => ({
  projects: await Promise.all([
    project('unit'),
    project('integration'),
    project('browser', {
      globalSetup: '<rootDir>/tests/browser/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/tests/browser/setup.ts'],
    }),
  ]),
  testTimeout: 30_000,
});
