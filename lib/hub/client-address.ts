/**
 * Who a request comes from, for the per-address limits and the loopback-only routes: the
 * socket's peer, or behind `PULSE_TRUSTED_PROXIES` reverse proxies the address the nearest of
 * them saw, read from `X-Forwarded-For` (docs/operations.md). Without trusted proxies the
 * header is ignored: anyone can write it.
 */
import { isIP } from 'node:net';

/** Strips what proxies and sockets add around an address: `::ffff:` of IPv4-mapped IPv6, brackets, a port, a zone. */
export function normalizeAddress(raw: string): string {
  let address = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1];
  else if (/^\d{1,3}(\.\d{1,3}){3}:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(':'));
  address = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1] : address.toLowerCase();
}

/**
 * The client's address. With `trustedProxies` = n > 0 the chain is the peer, then the entries
 * of `X-Forwarded-For` from right to left (each proxy appends the address it saw), and the
 * client is the n-th hop back, or the farthest one when the chain is shorter. An entry that
 * is not an IP address falls back to the peer.
 *
 * @example
 * clientAddress('10.0.0.2', '203.0.113.7, 10.0.0.9', 1) // → '10.0.0.9' (one proxy: the address it saw)
 * clientAddress('10.0.0.2', '203.0.113.7, 10.0.0.9', 2) // → '203.0.113.7'
 */
export function clientAddress(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, trustedProxies: number): string {
  const peer = normalizeAddress(remoteAddress ?? '');
  if (trustedProxies <= 0 || forwardedFor === undefined) return peer;
  const forwarded = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',').map((entry) => entry.trim()).filter(Boolean);
  const chain = [peer, ...forwarded.reverse()];
  const candidate = normalizeAddress(chain[Math.min(trustedProxies, chain.length - 1)]);
  return isIP(candidate) ? candidate : peer;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
