/** @type {import('next').NextConfig} */
module.exports = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Build output folder; separate folders let several builds or dev servers coexist.
  distDir: process.env.PULSE_NEXT_DIST || '.next',
  // `npm test` type-checks the whole project once (`npm run typecheck`); its own build skips it.
  typescript: { ignoreBuildErrors: process.env.PULSE_SKIP_BUILD_TYPECHECK === '1' },
  // The hub lives in server.ts; these run natively in Node instead of being bundled.
  serverExternalPackages: ['ws', 'pino', 'prom-client'],
};
