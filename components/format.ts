/**
 * Display formatting shared by the dashboard components. Pure functions, so they render the
 * same on the server and in the browser and are trivially unit-tested.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * How long ago something happened, in the words of a live dashboard.
 *
 * @example
 * formatAge(800);     // "Live"
 * formatAge(3_000);   // "Just now"
 * formatAge(5_000);   // "5s ago"
 * formatAge(125_000); // "2m ago"
 */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 2 * SECOND) return 'Live';
  if (ms < 5 * SECOND) return 'Just now';
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)}s ago`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h ago`;
  return `${Math.floor(ms / DAY)}d ago`;
}

/** Coarse freshness bucket of an age, for colouring. */
export type Freshness = 'live' | 'recent' | 'stale' | 'old';

export function freshness(ms: number): Freshness {
  if (ms < 5 * SECOND) return 'live';
  if (ms < MINUTE) return 'recent';
  if (ms < 10 * MINUTE) return 'stale';
  return 'old';
}

/**
 * A short duration in seconds: `42s`, `3m 05s`, `1h 02m`.
 */
export function formatDuration(totalSeconds: number): string {
  if (!Number.isFinite(totalSeconds) || totalSeconds < 0) return '—';
  const s = Math.round(totalSeconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** Grouped integer (`12,345`), stable across server and browser locales. */
export function formatInteger(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const sign = value < 0 ? '-' : '';
  return sign + String(Math.round(Math.abs(value))).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A fraction as a percentage (`0.734` → `73%`, or `73.4%` with one decimal). */
export function formatPercent(fraction: number, decimals = 0): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(decimals)}%`;
}

/** A number with a fixed count of decimals; `—` for anything not finite. */
export function formatNumber(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return '—';
  return decimals === 0 ? formatInteger(value) : value.toFixed(decimals);
}

/** Wall-clock time as `HH:MM:SS` in UTC, identical on server and client. */
export function formatClock(ts: number): string {
  if (!Number.isFinite(ts)) return '—';
  return new Date(ts).toISOString().slice(11, 19);
}

/** A byte count in binary units: `512 B`, `1.50 KiB`, `20.0 MiB`, `150 KiB`. */
export function formatBytes(bytes: number, decimals?: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  const places = decimals ?? (i === 0 || v >= 100 ? 0 : v >= 10 ? 1 : 2);
  return `${bytes < 0 ? '-' : ''}${i === 0 ? formatInteger(v) : v.toFixed(places)} ${units[i]}`;
}

/** How a panel shows a number (see `formatValue`). */
export type NumberFormat = 'number' | 'percent' | 'duration' | 'bytes';

/**
 * A number as a panel shows it. `number`: grouped, with `decimals` (default: none for whole
 * numbers, else two below 10 and one below 100); `percent`: a fraction (`0.734` → `73%`);
 * `duration`: seconds (`42s`, `3m 05s`, `850ms` below a second); `bytes`: binary units.
 * `null` and non-finite values are `—`.
 *
 * @example
 * formatValue(1234.5, 'number');       // "1,235"
 * formatValue(0.256, 'percent', 1);    // "25.6%"
 * formatValue(185, 'duration');        // "3m 05s"
 * formatValue(3 * 1024 ** 2, 'bytes'); // "3.00 MiB"
 */
export function formatValue(value: number | null | undefined, format: NumberFormat = 'number', decimals?: number): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  switch (format) {
    case 'percent':
      return formatPercent(value, decimals ?? 0);
    case 'duration':
      return Math.abs(value) < 1 && value !== 0 ? `${Math.round(value * 1000)}ms` : formatDuration(value);
    case 'bytes':
      return formatBytes(value, decimals);
    case 'number': {
      if (decimals !== undefined) return decimals === 0 ? formatInteger(value) : groupDecimals(value.toFixed(decimals));
      if (Number.isInteger(value) || Math.abs(value) >= 100) return formatInteger(value);
      return value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
    }
  }
}

/** `12345.67` as `12,345.67`. */
function groupDecimals(fixed: string): string {
  const [whole, fraction] = fixed.split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}${fraction ? `.${fraction}` : ''}`;
}
