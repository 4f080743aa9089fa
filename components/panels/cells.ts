/**
 * How a panel shows one field of a record: a table cell's text, a status word's tone, a time's
 * age. Pure, so the server render and the browser agree and the rules have their own tests.
 */
import type { Json } from '@/lib/protocol/messages';
import type { ColumnFormat, TableColumn, Tone } from '@/lib/dashboards/types';
import { thresholdTone } from '@/lib/dashboards/compute';
import { formatAge, formatValue } from '@/components/format';

/** A column's header: its label, else its field name. */
export function columnLabel(column: Pick<TableColumn, 'field' | 'label'>): string {
  return column.label ?? column.field;
}

/** A timestamp field as ms since the epoch: a number (ms), or a date string. */
export function timestampOf(value: Json | undefined): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

/** A field shown as text: strings as they are, numbers grouped, anything else as JSON. */
function plainText(value: Json | undefined): string {
  if (value === undefined || value === null || value === '') return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatValue(value, 'number');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return JSON.stringify(value);
}

/**
 * A cell's text in the column's format (`bar` and `status` cells show this text beside their
 * bar or inside their badge). `now` is the clock `timeAgo` cells are read against.
 *
 * @example
 * formatCell(0.42, 'percent');              // "42%"
 * formatCell(Date.now() - 5000, 'timeAgo'); // "5s ago"
 */
export function formatCell(value: Json | undefined, format: ColumnFormat = 'text', now = Date.now()): string {
  switch (format) {
    case 'number':
    case 'bar':
      return typeof value === 'number' ? formatValue(value, 'number') : plainText(value);
    case 'percent':
      return typeof value === 'number' ? formatValue(value, 'percent') : plainText(value);
    case 'duration':
      return typeof value === 'number' ? formatValue(value, 'duration') : plainText(value);
    case 'timeAgo': {
      const ts = timestampOf(value);
      return ts === null ? plainText(value) : formatAge(Math.max(0, now - ts));
    }
    case 'status':
    case 'text':
      return plainText(value);
  }
}

const STATUS_TONES: Record<string, Tone> = {};
for (const word of ['ok', 'online', 'up', 'healthy', 'active', 'running', 'resolved', 'success', 'succeeded', 'done', 'green', 'available', 'in', 'checked-in', 'ready']) STATUS_TONES[word] = 'ok';
for (const word of ['warn', 'warning', 'degraded', 'acknowledged', 'pending', 'busy', 'slow', 'away', 'break', 'yellow', 'amber', 'idle', 'high']) STATUS_TONES[word] = 'warn';
for (const word of ['bad', 'error', 'failed', 'failing', 'down', 'offline', 'critical', 'open', 'escalated', 'red', 'unhealthy', 'unavailable', 'breach']) STATUS_TONES[word] = 'bad';
for (const word of ['info', 'normal', 'new', 'starting', 'moving', 'blue']) STATUS_TONES[word] = 'info';

/**
 * The tone of a status word ("online" → ok, "degraded" → warn, "offline" → bad), or `null` for
 * a word it does not know. `colors` (the panel's own) win over the built-in words.
 *
 * @example
 * statusTone('Offline');                          // 'bad'
 * statusTone('parked', { parked: 'info' });       // 'info'
 */
export function statusTone(value: Json | undefined, colors?: Record<string, Tone>): Tone | null {
  if (typeof value === 'boolean') return value ? 'ok' : 'bad';
  if (typeof value !== 'string') return null;
  if (colors && Object.hasOwn(colors, value)) return colors[value];
  const word = value.trim().toLowerCase();
  return Object.hasOwn(STATUS_TONES, word) ? STATUS_TONES[word] : null;
}

/** A numeric cell's tone from its column's thresholds, or `null`. */
export function cellTone(value: Json | undefined, column: Pick<TableColumn, 'format' | 'thresholds'>): Tone | null {
  if (column.format === 'status') return statusTone(value);
  return typeof value === 'number' ? thresholdTone(value, column.thresholds) : null;
}

/** The fraction of a bar a value fills, 0–1, against `max` (non-positive max: empty). */
export function barFraction(value: Json | undefined, max: number | null | undefined): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !max || max <= 0) return 0;
  return Math.min(1, Math.max(0, value / max));
}
