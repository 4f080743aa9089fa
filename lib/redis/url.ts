/**
 * Redis URLs as ioredis needs them. ioredis turns TLS on only for a URL starting with the
 * lower-case `rediss://`, while URL parsing (and so configuration checks) takes any case: a
 * `REDISS://` URL would pass the check and then connect without TLS.
 */

/** `url` with its scheme in lower case; the rest untouched (credentials included). */
export function normalizeRedisUrl(url: string): string {
  return url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, (scheme) => scheme.toLowerCase());
}
