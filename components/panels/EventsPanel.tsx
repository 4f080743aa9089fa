'use client';
/**
 * An event feed: the channel's events at or above a priority, newest first, with a toast for
 * each critical one that arrives while the page is open (docs/dashboards.md, "Event feed").
 * The priority is the view's `minPriority` (docs/protocol.md §6), so lower events never cross
 * the wire.
 */
import { useCallback, useMemo, useState } from 'react';
import { useChannel } from '@/hooks/useChannel';
import { useChannelEvents } from '@/hooks/useChannelEvents';
import type { ChannelEvent } from '@/lib/protocol/messages';
import type { EventsPanelSpec } from '@/lib/dashboards/types';
import { panelView } from '@/lib/dashboards/views';
import type { InitialSnapshot } from '@/lib/store/types';
import { AlertsFeed } from '@/components/AlertsFeed';
import { Toasts, toastFromEvent, type Toast } from '@/components/Toasts';
import { PanelFrame } from './PanelFrame';

export type EventsPanelProps = Omit<EventsPanelSpec, 'kind'> & {
  /** Server-rendered snapshot of this panel's view (read with the same `minPriority`). */
  initial?: InitialSnapshot;
};

/** Toasts kept at once; older ones give way. */
const MAX_TOASTS = 8;

/**
 * @example
 * <EventsPanel title="Alerts" channel="alerts" minPriority="high" limit={30} />
 */
export function EventsPanel({ title, channel, filter, intervalMs, width, minPriority, limit = 50, toasts: showToasts = true, initial }: EventsPanelProps) {
  // the view the page's server render read: the panel's filter with its `minPriority`
  const viewFilter = useMemo(() => panelView({ kind: 'events', title, channel, filter, minPriority }).filter, [title, channel, filter, minPriority]);
  // one view: the records' freshness and the events come from the same subscription
  const view = useChannel(channel, { filter: viewFilter, intervalMs, initial });
  const [toasts, setToasts] = useState<Toast[]>([]);
  const onEvent = useCallback(
    (event: ChannelEvent) => {
      if (!showToasts || event.priority !== 'critical') return;
      setToasts((list) => {
        let index = 0;
        while (list.some((t) => t.id === `${event.seq}.${index}`)) index += 1;
        return [...list, toastFromEvent(event, index)].slice(-MAX_TOASTS);
      });
    },
    [showToasts],
  );
  const { events } = useChannelEvents(channel, { filter: viewFilter, intervalMs, onEvent });
  const dismiss = useCallback((id: string) => setToasts((list) => list.filter((t) => t.id !== id)), []);

  return (
    <PanelFrame title={title} view={view} width={width} flush meta={minPriority && minPriority !== 'low' ? `${minPriority} and above` : undefined} className="pb-events">
      <AlertsFeed events={events} limit={limit} emptyText="No events yet" className="pb-events__feed" />
      {showToasts && <Toasts toasts={toasts} onDismiss={dismiss} />}
    </PanelFrame>
  );
}

export default EventsPanel;
