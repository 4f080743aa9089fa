/**
 * The frame of every dashboard section: a title, optional context, actions, and a LiveBadge
 * saying how fresh the section's data is (or that its view is paused).
 */
import type { ReactNode, Ref } from 'react';
import { LiveBadge } from '@/components/LiveBadge';

export interface PanelProps {
  /** Element id, also used to label the section. */
  id: string;
  title: string;
  /** Short context after the title (scope, counts). */
  meta?: ReactNode;
  /** Controls on the right of the head, before the freshness badge. */
  actions?: ReactNode;
  /** Last update of the section's data; `undefined` hides the badge. */
  updatedAt?: number | null;
  /** The section's view is paused (nobody sees it): the badge says so instead of ageing. */
  paused?: boolean;
  /** Padding-free body, for tables and lists that run to the edges. */
  flush?: boolean;
  className?: string;
  /** The `<section>`, e.g. for a hook's `pauseWhenOffscreen`. */
  ref?: Ref<HTMLElement>;
  children: ReactNode;
}

export function Panel({ id, title, meta, actions, updatedAt, paused = false, flush = false, className, ref, children }: PanelProps) {
  return (
    <section ref={ref} id={id} className={['pb-panel', 'pb-dash-panel', className].filter(Boolean).join(' ')} aria-labelledby={`${id}-title`}>
      <header className="pb-panel__head">
        <h2 id={`${id}-title`} className="pb-panel__title">
          {title}
        </h2>
        {meta && <span className="pb-dash-panel__meta">{meta}</span>}
        <div className="pb-panel__actions">
          {actions}
          {updatedAt !== undefined && <LiveBadge updatedAt={updatedAt} paused={paused} />}
        </div>
      </header>
      <div className={flush ? 'pb-panel__body pb-panel__body--flush pb-dash-panel__body' : 'pb-panel__body pb-dash-panel__body'}>{children}</div>
    </section>
  );
}
