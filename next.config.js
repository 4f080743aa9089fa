const { PHASE_DEVELOPMENT_SERVER } = require('next/constants');

/**
 * The Content-Security-Policy of every page (docs/operations.md, "Security headers").
 * - Scripts and styles: the App Router streams its data in inline scripts and the pages
 *   render `style` attributes, so both need 'unsafe-inline' (nonces would make every page
 *   dynamic); development adds 'unsafe-eval' for React Refresh.
 * - `connect-src` allows `ws:`/`wss:` to any host: the tester page may point at another hub.
 * - `frame-ancestors 'none'`: no page may be framed (clickjacking).
 */
function contentSecurityPolicy(dev) {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(dev) {
  return [
    { key: 'Content-Security-Policy', value: contentSecurityPolicy(dev) },
    // For browsers without frame-ancestors.
    { key: 'X-Frame-Options', value: 'DENY' },
    { key: 'X-Content-Type-Options', value: 'nosniff' },
    { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
    { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=(), usb=()' },
  ];
}

/** @type {(phase: string) => import('next').NextConfig} */
module.exports = (phase) => ({
  reactStrictMode: true,
  poweredByHeader: false,
  // Build output folder; separate folders let several builds or dev servers coexist.
  distDir: process.env.PULSE_NEXT_DIST || '.next',
  // `npm test` type-checks the whole project once (`npm run typecheck`); its own build skips it.
  typescript: { ignoreBuildErrors: process.env.PULSE_SKIP_BUILD_TYPECHECK === '1' },
  // The hub lives in server.ts; these run natively in Node instead of being bundled.
  serverExternalPackages: ['ws', 'pino', 'prom-client'],
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders(phase === PHASE_DEVELOPMENT_SERVER) }];
  },
});
