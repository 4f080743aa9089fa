// Three suites, run separately or together: unit (pure logic), integration (a real hub on
// port 0 and real sockets), browser (the real server in headless Chromium).
const nextJest = require('next/jest');

const createJestConfig = nextJest({ dir: __dirname });

// Protocol suites that run on both engines from the same test code.
const REDIS_SUITES = ['presence', 'session-auth', 'requests-replies', 'channels-records', 'deltas', 'filters', 'resume', 'http-api', 'mirror', 'client-sdk', 'admin-api', 'json-bounds', 'views', 'series-wire', 'server-figures', 'client-series'];

// ESM-only packages that Jest must transform.
const ESM_PACKAGES = ['jose', 'd3-[a-z-]+', 'internmap', 'supercluster', 'kdbush'];

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
    // The protocol suites again, on the Redis engine (a real redis-server, started once).
    project('integration', {
      displayName: 'integration-redis',
      testMatch: REDIS_SUITES.map((name) => `<rootDir>/tests/integration/${name}.test.ts`),
      globals: { PULSE_TEST_ENGINE: 'redis' },
      globalSetup: '<rootDir>/tests/helpers/redis-global-setup.ts',
      globalTeardown: '<rootDir>/tests/helpers/redis-global-teardown.ts',
    }),
    project('browser', {
      globalSetup: '<rootDir>/tests/browser/global-setup.ts',
      setupFilesAfterEnv: ['<rootDir>/tests/browser/setup.ts'],
    }),
  ]),
  testTimeout: 30_000,
});
