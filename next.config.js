/** @type {import('next').NextConfig} */
module.exports = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The hub lives in server.ts; these run natively in Node instead of being bundled.
  serverExternalPackages: ['ws', 'pino', 'prom-client'],
};
