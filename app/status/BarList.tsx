/** Horizontal bars for a few named counts (tenants, channels, instances), the largest full width. */
import type { ReactNode } from 'react';
import { formatInteger } from '@/components/format';

export interface BarRow {
  key: string;
  name: ReactNode;
  /** Tooltip of the name (the full text when it is clipped). */
  title?: string;
  value: number;
  /** After the value, muted: a share, a unit, an uptime. */
  detail?: ReactNode;
  /** Data attributes for tests, e.g. `{ 'data-instance': id }`. */
  data?: Record<string, string>;
}

export function BarList({ rows, more }: { rows: readonly BarRow[]; more?: ReactNode }) {
  const largest = rows.reduce((max, row) => Math.max(max, row.value), 0);
  return (
    <ul className="pb-status-bars">
      {rows.map((row) => (
        <li key={row.key} className="pb-status-bars__row" {...row.data}>
          <span className="pb-status-bars__name" title={row.title}>
            {row.name}
          </span>
          <span className="pb-status-bars__track" aria-hidden="true">
            <span className="pb-status-bars__fill" style={{ width: `${largest ? Math.max(2, (row.value / largest) * 100) : 0}%` }} />
          </span>
          <span className="pb-status-bars__count pb-num">
            {formatInteger(row.value)}
            {row.detail !== undefined && <span className="pb-status-bars__share">{row.detail}</span>}
          </span>
        </li>
      ))}
      {more && <li className="pb-status-bars__more">{more}</li>}
    </ul>
  );
}
