/** The declared data sources: state, freshness, what they published, what went wrong. */
import { formatInteger } from '@/components/format';
import { formatLatency, formatSince } from './format';
import type { ServerStats, SourceSummary } from './types';

const STATE_TONE: Record<SourceSummary['state'], string | undefined> = {
  live: undefined,
  connecting: 'warn',
  failing: 'critical',
  stopped: 'warn',
};

const KIND: Record<SourceSummary['kind'], string> = { http: 'HTTP poll', mqtt: 'MQTT', postgres: 'Postgres' };

export function SourcesPanel({ stats, now }: { stats: ServerStats; now: number }) {
  const { sources } = stats;
  if (sources.length === 0) return null;
  const failing = sources.filter((s) => s.state === 'failing').length;
  return (
    <section className="pb-panel pb-span-12" aria-labelledby="pb-status-sources">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-sources">
          Sources
        </h2>
        <span className="pb-panel__actions pb-status-hint">
          {sources.length === 1 ? '1 source' : `${sources.length} sources`}
          {failing > 0 && ` · ${failing} failing`}
        </span>
      </div>
      <div className="pb-panel__body pb-panel__body--flush pb-table-wrap">
        <table className="pb-table pb-status-table pb-status-table--plain">
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Kind</th>
              <th scope="col">Channel</th>
              <th scope="col">State</th>
              <th scope="col" className="pb-num">Last success</th>
              <th scope="col" className="pb-num">Records</th>
              <th scope="col" className="pb-num">Events</th>
              <th scope="col" className="pb-num">Errors</th>
              <th scope="col" className="pb-num">Skipped</th>
              <th scope="col" className="pb-num">Lag</th>
            </tr>
          </thead>
          <tbody>
            {sources.map((source) => {
              const tone = STATE_TONE[source.state];
              return (
                <tr key={source.name} data-source={source.name} className={tone ? `pb-status-row--${tone}` : undefined}>
                  <td className="pb-mono">{source.name}</td>
                  <td>{KIND[source.kind]}</td>
                  <td className="pb-mono">
                    {source.tenant}/{source.channel}
                  </td>
                  <td title={source.lastError ?? undefined}>
                    {source.state}
                    {source.state !== 'live' && source.lastError && <span className="pb-muted"> · {source.lastError}</span>}
                  </td>
                  <td className="pb-num">{source.lastSuccessAt === null ? '—' : `${formatSince(source.lastSuccessAt, now)} ago`}</td>
                  <td className="pb-num">{formatInteger(source.recordsPublished)}</td>
                  <td className="pb-num">{formatInteger(source.eventsPublished)}</td>
                  <td className="pb-num">{formatInteger(source.errors)}</td>
                  <td className="pb-num">{formatInteger(source.invalid)}</td>
                  <td className="pb-num">{source.lagMs === null ? '—' : formatLatency(source.lagMs)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
