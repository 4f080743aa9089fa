'use client';

/**
 * Every open connection with who it is, what it listens to, how long it has been there, how
 * far behind its socket is, and a button to close it (1008). Filterable and sortable; a very
 * long list shows its first rows and asks for a narrower filter.
 */
import { useMemo, useState } from 'react';
import { useNow } from '@/components/clock';
import { formatInteger } from '@/components/format';
import { DEFAULT_ORDER, filterConnections, nextSortOrder, sortConnections, type SortKey, type SortOrder } from './connections';
import { formatAddress, formatBytes, formatSince } from './format';
import { bufferTone } from './tones';
import type { ConnectionInfo } from './types';

/** Rows rendered at most; the rest are one filter away. */
const MAX_ROWS = 200;
/** Channels listed in a row before "+N". */
const MAX_CHANNELS = 3;

const COLUMNS: Array<{ key: SortKey; label: string; numeric?: boolean }> = [
  { key: 'id', label: 'Connection' },
  { key: 'user', label: 'User' },
  { key: 'tenant', label: 'Tenant' },
  { key: 'subscriptions', label: 'Subscriptions' },
  { key: 'age', label: 'Connected for', numeric: true },
  { key: 'idle', label: 'Last activity', numeric: true },
  { key: 'bufferedBytes', label: 'Buffered', numeric: true },
  { key: 'remoteAddress', label: 'Remote address' },
];

export interface ConnectionsTableProps {
  connections: readonly ConnectionInfo[] | undefined;
  /** Failure of the last refresh, when there was one. */
  error?: string;
  kick(id: string): void;
  kicking: ReadonlySet<string>;
  kickError: string | null;
}

export function ConnectionsTable({ connections, error, kick, kicking, kickError }: ConnectionsTableProps) {
  const now = useNow(1000);
  const [query, setQuery] = useState('');
  const [order, setOrder] = useState<SortOrder>(DEFAULT_ORDER);

  const rows = useMemo(() => sortConnections(filterConnections(connections ?? [], query), order), [connections, query, order]);
  const shown = rows.slice(0, MAX_ROWS);
  const total = connections?.length ?? 0;

  return (
    <section className="pb-panel pb-span-12 pb-status-conns" aria-labelledby="pb-status-conns">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-conns">
          Connected clients
        </h2>
        <span className="pb-status-count pb-num" data-testid="connection-count">
          {connections === undefined ? '…' : query ? `${formatInteger(rows.length)} of ${formatInteger(total)}` : formatInteger(total)}
        </span>
        <div className="pb-panel__actions">
          <input
            className="pb-input pb-status-filter"
            type="search"
            placeholder="Filter: id, user, tenant, channel, address"
            aria-label="Filter connections"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
          />
        </div>
      </div>
      {(error || kickError) && (
        <p className="pb-status-alert pb-status-alert--bad pb-status-conns__alert" role="alert">
          {kickError ?? `The list could not be refreshed: ${error}`}
        </p>
      )}
      <div className="pb-panel__body pb-panel__body--flush pb-table-wrap">
        <table className="pb-table pb-status-table">
          <thead>
            <tr>
              {COLUMNS.map((column) => {
                const active = order.key === column.key;
                return (
                  <th
                    key={column.key}
                    scope="col"
                    className={column.numeric ? 'pb-num' : undefined}
                    aria-sort={active ? (order.descending ? 'descending' : 'ascending') : undefined}
                  >
                    <button type="button" className="pb-status-sort" onClick={() => setOrder((o) => nextSortOrder(o, column.key))}>
                      {column.label}
                      <span className="pb-status-sort__arrow" aria-hidden="true">
                        {active ? (order.descending ? '▼' : '▲') : ''}
                      </span>
                    </button>
                  </th>
                );
              })}
              <th scope="col">
                <span className="pb-visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((c) => (
              <Row key={c.id} connection={c} now={now} kicking={kicking.has(c.id)} kick={kick} />
            ))}
          </tbody>
        </table>
        {connections !== undefined && shown.length === 0 && (
          <p className="pb-empty">{query ? 'No connection matches this filter.' : 'No open connections.'}</p>
        )}
        {rows.length > shown.length && (
          <p className="pb-status-more">
            Showing the first {formatInteger(shown.length)} of {formatInteger(rows.length)}. Filter to narrow the list.
          </p>
        )}
      </div>
    </section>
  );
}

interface RowProps {
  connection: ConnectionInfo;
  now: number;
  kicking: boolean;
  kick(id: string): void;
}

function Row({ connection: c, now, kicking, kick }: RowProps) {
  const tone = bufferTone(c.bufferedBytes);
  const channels = c.subscriptions.slice(0, MAX_CHANNELS);
  const extra = c.subscriptions.length - channels.length;
  return (
    <tr data-connection-id={c.id} className={tone ? `pb-status-row--${tone}` : undefined}>
      <td className="pb-mono pb-status-id">{c.id}</td>
      <td className="pb-status-user pb-status-clip" title={c.user ?? undefined}>
        {c.user ?? <span className="pb-muted">authenticating…</span>}
      </td>
      <td className="pb-status-clip" title={c.tenant ?? undefined}>
        {c.tenant ?? <span className="pb-muted">—</span>}
      </td>
      <td title={c.subscriptions.join(', ') || undefined}>
        {c.subscriptions.length === 0 ? (
          <span className="pb-muted">none</span>
        ) : (
          <span className="pb-status-channels">
            {channels.map((channel) => (
              <span key={channel} className="pb-status-channel">
                {channel}
              </span>
            ))}
            {extra > 0 && <span className="pb-status-channel pb-status-channel--more">+{extra}</span>}
          </span>
        )}
      </td>
      <td className="pb-num" title={new Date(c.connectedAt).toISOString()}>
        {formatSince(c.connectedAt, now)}
      </td>
      <td className="pb-num" title={new Date(c.lastActivityAt).toISOString()}>
        {formatSince(c.lastActivityAt, now) === 'now' ? 'just now' : `${formatSince(c.lastActivityAt, now)} ago`}
      </td>
      <td className={`pb-num${tone ? ` pb-status-buffer--${tone}` : c.bufferedBytes === 0 ? ' pb-muted' : ''}`}>{formatBytes(c.bufferedBytes)}</td>
      <td className="pb-mono pb-status-addr" title={c.remoteAddress}>
        {formatAddress(c.remoteAddress)}
      </td>
      <td className="pb-status-actions">
        <button
          type="button"
          className="pb-button pb-button--danger pb-status-kick"
          onClick={() => kick(c.id)}
          disabled={kicking}
          aria-label={`Kick connection ${c.id}`}
          title="Close this connection (code 1008); the client may reconnect"
        >
          {kicking ? 'Kicking…' : 'Kick'}
        </button>
      </td>
    </tr>
  );
}
