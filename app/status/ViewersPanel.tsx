/** Who is watching: users per channel as bars (presence, across the cluster with Redis). */
import { BarList } from './BarList';
import type { ServerStats } from './types';

const SHOWN = 8;

export function ViewersPanel({ viewers }: { viewers: ServerStats['viewers'] }) {
  return (
    <section className="pb-panel pb-span-4" aria-labelledby="pb-status-viewers">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-viewers">
          Viewers by channel
        </h2>
        <span className="pb-panel__actions pb-status-hint">{viewers.length === 1 ? '1 channel' : `${viewers.length} channels`}</span>
      </div>
      <div className="pb-panel__body">
        {viewers.length === 0 ? (
          <p className="pb-empty">Nobody is watching.</p>
        ) : (
          <BarList
            rows={viewers.slice(0, SHOWN).map(({ tenant, channel, users }) => ({
              key: `${tenant}/${channel}`,
              name: <span className="pb-mono">{channel}</span>,
              title: `${tenant}/${channel}`,
              value: users,
              detail: users === 1 ? ' user' : ' users',
              data: { 'data-viewers': `${tenant}/${channel}` },
            }))}
            more={viewers.length > SHOWN && `and ${viewers.length - SHOWN} more channels`}
          />
        )}
      </div>
    </section>
  );
}
