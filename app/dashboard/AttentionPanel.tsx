'use client';
/**
 * "Needs attention": the fleet's offline and low-battery nodes, the world over. A second view of
 * `fleet` on the page's one connection, beside the map's (`ATTENTION_VIEW`: its own `or` filter
 * and pace), so changing the map's region never touches this table and this table never
 * touches the map.
 *
 * The table renders from the view's records only to order the rows; each row selects its own
 * record, so a node whose status or charge changes re-renders and flashes alone, a node that
 * enters the view (went offline, ran low) lights up as it arrives, and one that recovers leaves.
 */
import { memo, useMemo, useRef } from 'react';
import { useChannel, useRecord } from '@/hooks';
import { Flash } from '@/components/Flash';
import { formatInteger } from '@/components/format';
import { sameBounds } from '@/components/geo';
import { METROS } from '@/lib/demo/catalog';
import type { ChannelRecord } from '@/lib/protocol/messages';
import { ATTENTION_VIEW, CHANNELS, LOW_BATTERY, metroBounds } from './config';
import { useFleetRegion } from './fleetView';
import { Panel } from './Panel';

const METRO_BY_ID = new Map(METROS.map((metro) => [metro.id, metro]));
const STATUS_RANK: Record<string, number> = { offline: 0, degraded: 1, online: 2 };
const STATUS_LABEL: Record<string, string> = { offline: 'Offline', degraded: 'Degraded', online: 'Online' };

function batteryOf(record: ChannelRecord | undefined): number | null {
  const value = record?.battery;
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function statusOf(record: ChannelRecord | undefined): string {
  return typeof record?.status === 'string' ? record.status : 'unknown';
}

/** Offline first, then the emptiest batteries, then by name: the most urgent on top. */
export function attentionOrder(records: readonly ChannelRecord[]): string[] {
  return [...records]
    .sort(
      (a, b) =>
        (STATUS_RANK[statusOf(a)] ?? 3) - (STATUS_RANK[statusOf(b)] ?? 3) ||
        (batteryOf(a) ?? 101) - (batteryOf(b) ?? 101) ||
        String(a.name ?? a.id).localeCompare(String(b.name ?? b.id)),
    )
    .map((record) => record.id);
}

/** Why a node is on the list, in words. */
export function attentionReasons(record: ChannelRecord | undefined): string[] {
  const reasons: string[] = [];
  if (statusOf(record) === 'offline') reasons.push('Offline');
  const battery = batteryOf(record);
  if (battery !== null && battery < LOW_BATTERY) reasons.push('Low battery');
  return reasons;
}

const AttentionRow = memo(function AttentionRow({ id }: { id: string }) {
  const { record, changed } = useRecord(CHANNELS.fleet, id, ATTENTION_VIEW);
  const { bounds, setBounds } = useFleetRegion();
  if (!record) return null;

  const status = statusOf(record);
  const battery = batteryOf(record);
  const low = battery !== null && battery < LOW_BATTERY;
  const name = typeof record.name === 'string' ? record.name : id;
  const metro = typeof record.metro === 'string' ? METRO_BY_ID.get(record.metro) : undefined;
  const metroArea = metro ? metroBounds(metro) : null;
  const shown = metroArea !== null && sameBounds(metroArea, bounds);
  const classes = ['pb-table__row', 'pb-dash-attention__row', changed?.added && 'pb-dash-attention__row--new', changed && 'pb-dash-row--changed'];

  return (
    <Flash
      as="tr"
      flashKey={`${status}|${battery}`}
      className={classes.filter(Boolean).join(' ')}
      data-id={id}
      data-status={status}
      data-changed={changed ? changed.fields.join(' ') : undefined}
    >
      <th scope="row" className="pb-dash-attention__node">
        <span className="pb-dash-attention__name">{name}</span>
        <span className="pb-dash-attention__metro">{metro?.name ?? (typeof record.metro === 'string' ? record.metro : '—')}</span>
      </th>
      <td data-field="status">
        <span className={`pb-dash-node-status pb-dash-node-status--${STATUS_LABEL[status] ? status : 'unknown'}`}>{STATUS_LABEL[status] ?? status}</span>
      </td>
      <td className="pb-num" data-field="battery">
        <span className={low ? 'pb-dash-battery pb-dash-battery--low' : 'pb-dash-battery'}>
          <span className="pb-dash-battery__bar" aria-hidden="true">
            <span style={{ width: `${Math.max(0, Math.min(100, battery ?? 0))}%` }} />
          </span>
          <Flash value={battery} trend="higher-is-better" className="pb-dash-battery__value">
            {battery === null ? '—' : `${formatInteger(battery)}%`}
          </Flash>
        </span>
      </td>
      <td className="pb-dash-attention__why" data-field="reasons">
        {attentionReasons(record).join(' · ')}
      </td>
      <td className="pb-dash-attention__action">
        <button
          type="button"
          className="pb-button pb-button--chip"
          disabled={metroArea === null}
          aria-pressed={shown}
          aria-label={`Show ${name} on the map`}
          title={metro ? `Zoom the map to ${metro.name}` : undefined}
          onClick={() => metroArea && setBounds(metroArea)}
        >
          Map
        </button>
      </td>
    </Flash>
  );
});

export function AttentionPanel({ className }: { className?: string }) {
  const panel = useRef<HTMLElement>(null);
  const { records, lastUpdate, paused, error } = useChannel(CHANNELS.fleet, { ...ATTENTION_VIEW, pauseWhenOffscreen: panel });
  const ids = useMemo(() => attentionOrder(records), [records]);
  const offline = useMemo(() => records.filter((record) => statusOf(record) === 'offline').length, [records]);
  const pace = ATTENTION_VIEW.intervalMs / 1000;

  return (
    <Panel
      ref={panel}
      id="attention"
      title="Needs attention"
      meta={`${formatInteger(ids.length)} nodes · ${formatInteger(offline)} offline`}
      actions={
        <span
          className="pb-dash-pace"
          title={`The hub sends this table at most one update every ${pace} s, merged (intervalMs ${ATTENTION_VIEW.intervalMs})`}
        >
          every {pace} s
        </span>
      }
      updatedAt={lastUpdate}
      paused={paused}
      flush
      className={className}
    >
      {error && (
        <p className="pb-dash-error pb-dash-attention__error" role="alert">
          The hub refused this view ({error.code}): {error.message}
        </p>
      )}
      <div className="pb-table-wrap pb-dash-attention">
        <table className="pb-table">
          <thead>
            <tr>
              <th scope="col">Node</th>
              <th scope="col">Status</th>
              <th scope="col" className="pb-num">
                Battery
              </th>
              <th scope="col" className="pb-dash-attention__why">
                Why
              </th>
              <th scope="col">
                <span className="pb-visually-hidden">Map</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {ids.length === 0 ? (
              <tr>
                <td colSpan={5} className="pb-empty">
                  Every node is online with more than {LOW_BATTERY}% battery
                </td>
              </tr>
            ) : (
              ids.map((id) => <AttentionRow key={id} id={id} />)
            )}
          </tbody>
        </table>
      </div>
      <p className="pb-dash-attention__foot">
        Filtered by the hub: <code>status = offline</code> or <code>battery &lt; {LOW_BATTERY}</code>, whatever region the map shows
      </p>
    </Panel>
  );
}
