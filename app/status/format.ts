/**
 * Formatting for the status page: byte sizes, rates, latencies, uptimes, addresses. Pure, so
 * the same text renders on the server and in the browser.
 */
import { formatInteger } from '@/components/format';

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/**
 * A byte count in binary units with at most three significant digits.
 *
 * @example
 * formatBytes(512);     // "512 B"
 * formatBytes(1536);    // "1.5 KB"
 * formatBytes(3 << 20); // "3.0 MB"
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

/**
 * A count in compact form: `950`, `12.3k`, `4.1M`. Below ten it keeps one decimal, so a
 * trickle of `0.4/s` does not read as zero.
 */
export function formatCompact(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${(value / 1e9).toFixed(1)}G`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(abs >= 1e7 ? 0 : 1)}M`;
  if (abs >= 1e4) return `${(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`;
  if (abs >= 10 || Number.isInteger(value)) return formatInteger(value);
  return value.toFixed(1);
}

/** Messages a second: `1,234/s`, `0.4/s`. */
export function formatPerSecond(value: number): string {
  return `${formatCompact(value)}/s`;
}

/** Bytes a second: `1.5 KB/s`. */
export function formatBytesPerSecond(value: number): string {
  return `${formatBytes(value)}/s`;
}

/** A latency in ms; `—` when there is no sample yet (the API reports 0). */
export function formatLatency(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '—';
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s`;
  return `${Math.round(ms)} ms`;
}

/** Process uptime: `42s`, `7m 03s`, `5h 12m`, `3d 04h`. */
export function formatUptime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3600))}h`;
}

/** Time since an instant, for the connection list: `now`, `12s`, `4m 10s`, `2h 05m`. */
export function formatSince(then: number, now: number): string {
  const seconds = Math.max(0, (now - then) / 1000);
  return seconds < 1 ? 'now' : formatUptime(seconds);
}

/** A socket address without the IPv4-mapped IPv6 prefix (`::ffff:10.0.0.7` → `10.0.0.7`). */
export function formatAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
