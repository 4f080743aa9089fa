'use client';
/**
 * The card every panel sits in: a title, optional context and actions, and a badge saying how
 * fresh the panel's own data is ("Live", "5s ago", "Paused", "Not permitted"). `PanelCard` is
 * the frame itself (the hand-written dashboard uses it too); `PanelFrame` feeds it from the
 * `ChannelView` a panel's `useChannel` returns, and spans `width` of the twelve columns of a
 * `PanelGrid` (a phone-width screen stacks every panel).
 */
import { useId, type CSSProperties, type ReactNode, type Ref } from 'react';
import { LiveBadge } from '@/components/LiveBadge';
import type { ChannelView } from '@/hooks/useChannel';
import type { ChannelError } from '@/lib/store/types';
import './panels.css';

export interface PanelCardProps {
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
  /** The section's view was refused: the badge says so and the body shows why. */
  error?: ChannelError | null;
  /** Padding-free body, for tables and lists that run to the edges. */
  flush?: boolean;
  className?: string;
  style?: CSSProperties;
  /** The `<section>`, e.g. for a hook's `pauseWhenOffscreen`. */
  ref?: Ref<HTMLElement>;
  children: ReactNode;
}

/**
 * A titled card with a freshness badge.
 *
 * @example
 * <PanelCard id="backlog" title="Backlog" updatedAt={lastUpdate} paused={paused} flush>…</PanelCard>
 */
export function PanelCard({ id, title, meta, actions, updatedAt, paused = false, error = null, flush = false, className, style, ref, children }: PanelCardProps) {
  const body = ['pb-panel__body', flush && 'pb-panel__body--flush', 'pb-dash-panel__body'].filter(Boolean).join(' ');
  return (
    <section ref={ref} id={id} style={style} className={['pb-panel', 'pb-dash-panel', className].filter(Boolean).join(' ')} aria-labelledby={`${id}-title`}>
      <header className="pb-panel__head">
        <h2 id={`${id}-title`} className="pb-panel__title">
          {title}
        </h2>
        {meta && <span className="pb-dash-panel__meta">{meta}</span>}
        <div className="pb-panel__actions">
          {actions}
          {updatedAt !== undefined && <LiveBadge updatedAt={updatedAt} paused={paused} error={error} />}
        </div>
      </header>
      <div className={body}>
        {error && (
          <p className="pb-pf__error" role="status">
            {error.message || error.code}
          </p>
        )}
        {children}
      </div>
    </section>
  );
}

export interface PanelFrameProps {
  title: string;
  /** The panel's view (`useChannel`'s answer): its freshness, pause and refusal are shown. */
  view: Pick<ChannelView, 'lastUpdate' | 'paused' | 'error'>;
  /** Short context after the title. */
  meta?: ReactNode;
  /** Controls on the right of the head. */
  actions?: ReactNode;
  /** Columns of a `PanelGrid` it spans, 1–12 (default 4). */
  width?: number;
  /** Padding-free body (tables and lists). */
  flush?: boolean;
  className?: string;
  /** Element id (default: generated). */
  id?: string;
  ref?: Ref<HTMLElement>;
  children: ReactNode;
}

/** A grid span within 1–12; anything else is the default 4. */
export function panelSpan(width: number | undefined): number {
  return typeof width === 'number' && Number.isInteger(width) && width >= 1 && width <= 12 ? width : 4;
}

/**
 * A panel's card, fed by its view.
 *
 * @example
 * const view = useChannel('backlog', { filter, initial });
 * return <PanelFrame title="Backlog" view={view} width={6}>…</PanelFrame>;
 */
export function PanelFrame({ title, view, meta, actions, width, flush, className, id, ref, children }: PanelFrameProps) {
  const generated = useId();
  const style = { '--pb-panel-span': panelSpan(width) } as CSSProperties;
  return (
    <PanelCard
      id={id ?? `panel${generated.replace(/[^a-zA-Z0-9_-]/g, '')}`}
      title={title}
      meta={meta}
      actions={actions}
      updatedAt={view.lastUpdate}
      paused={view.paused}
      error={view.error}
      flush={flush}
      className={className ? `pb-pf ${className}` : 'pb-pf'}
      style={style}
      ref={ref}
    >
      {children}
    </PanelCard>
  );
}

/**
 * Twelve columns that panels span by their `width`; one column at phone width.
 *
 * @example
 * <PanelGrid>{panels.map((p, i) => <PanelView key={i} panel={p} />)}</PanelGrid>
 */
export function PanelGrid({ children, className }: { children: ReactNode; className?: string }) {
  return <div className={className ? `pb-pgrid ${className}` : 'pb-pgrid'}>{children}</div>;
}

export default PanelFrame;
