/**
 * Cross-site WebSocket hijacking protection (docs/protocol.md §1): a browser's `Origin` must name
 * this very host, or be listed in `PULSE_ALLOWED_ORIGINS`. Requests without `Origin`
 * (non-browser clients) pass.
 */
export function isOriginAllowed(origin: string | undefined, host: string | undefined, allowList: readonly string[]): boolean {
  if (origin === undefined) return true;
  if (allowList.includes(origin)) return true;
  if (!host) return false;
  try {
    const originUrl = new URL(origin);
    // Parsing the Host header with the origin's scheme normalizes case and drops a default port.
    const hostUrl = new URL(`${originUrl.protocol}//${host}`);
    return originUrl.host === hostUrl.host;
  } catch {
    return false;
  }
}
