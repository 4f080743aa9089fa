/** Who is watching: users per channel as bars (presence, across the cluster with Redis). */
import { formatInteger } from '@/components/format';
import type { ServerStats } from './types';

const SHOWN = 8;

export function ViewersPanel({ viewers }: { viewers: ServerStats['viewers'] }) {
  const top = viewers.slice(0, SHOWN);
  const largest = top[0]?.users ?? 0;
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
          <ul className="pb-status-bars">
            {top.map(({ tenant, channel, users }) => (
              <li key={`${tenant}/${channel}`} className="pb-status-bars__row" data-viewers={`${tenant}/${channel}`}>
                <span className="pb-status-bars__name pb-mono" title={`${tenant}/${channel}`}>
                  {channel}
                </span>
                <span className="pb-status-bars__track" aria-hidden="true">
                  <span className="pb-status-bars__fill" style={{ width: `${largest ? Math.max(2, (users / largest) * 100) : 0}%` }} />
                </span>
                <span className="pb-status-bars__count pb-num">
                  {formatInteger(users)}
                  <span className="pb-status-bars__share"> {users === 1 ? 'user' : 'users'}</span>
                </span>
              </li>
            ))}
            {viewers.length > SHOWN && <li className="pb-status-bars__more">and {viewers.length - SHOWN} more channels</li>}
          </ul>
        )}
      </div>
    </section>
  );
}
