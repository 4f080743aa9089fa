'use client';
/**
 * The alerts feed, newest first, with a priority level that is a server-side `minPriority`
 * filter, and a toast for every `critical` alert that arrives while the page is open.
 */
import { useCallback, useMemo, useRef, useState } from 'react';
import { useChannel, useChannelEvents } from '@/hooks';
import { AlertsFeed } from '@/components/AlertsFeed';
import { Toasts, toastFromEvent, type Toast } from '@/components/Toasts';
import type { ChannelEvent } from '@/lib/protocol/messages';
import { ALERT_LEVELS, alertsFilter, CHANNELS } from './config';
import { Panel } from './Panel';

/** Toasts kept at most (the stack shows fewer); older ones are dropped. */
const MAX_TOASTS = 8;

export function AlertsPanel({ className }: { className?: string }) {
  const [levelId, setLevelId] = useState(ALERT_LEVELS[0]!.id);
  const level = ALERT_LEVELS.find((l) => l.id === levelId) ?? ALERT_LEVELS[0]!;
  const filter = useMemo(() => alertsFilter(level.minPriority), [level.minPriority]);

  const [toasts, setToasts] = useState<Toast[]>([]);
  // events of one publish share a seq: number them so each toast keeps its own id
  const lastBatch = useRef({ seq: -1, index: 0 });
  const onEvent = useCallback((event: ChannelEvent) => {
    const index = lastBatch.current.seq === event.seq ? lastBatch.current.index + 1 : 0;
    lastBatch.current = { seq: event.seq, index };
    if (event.priority !== 'critical') return;
    const toast = toastFromEvent(event, index);
    setToasts((current) => [...current.filter((t) => t.id !== toast.id), toast].slice(-MAX_TOASTS));
  }, []);
  const dismiss = useCallback((id: string) => setToasts((current) => current.filter((t) => t.id !== id)), []);

  // useChannel keeps the feed polled over HTTP while the socket is in fallback
  const { lastUpdate } = useChannel(CHANNELS.alerts, { filter });
  const { events } = useChannelEvents(CHANNELS.alerts, { filter, onEvent });

  const critical = useMemo(() => events.filter((e) => e.priority === 'critical').length, [events]);
  const high = useMemo(() => events.filter((e) => e.priority === 'high').length, [events]);

  return (
    <>
      <Panel id="alerts" title="Alerts" meta="Newest first" updatedAt={lastUpdate} flush className={className}>
        <div className="pb-dash-alerts__toolbar">
          <div className="pb-dash-segmented" role="group" aria-label="Minimum priority">
            {ALERT_LEVELS.map((option) => (
              <button
                key={option.id}
                type="button"
                className="pb-button pb-button--chip"
                aria-pressed={option.id === level.id}
                onClick={() => setLevelId(option.id)}
              >
                {option.label}
              </button>
            ))}
          </div>
          <span className="pb-dash-alerts__counts" title={`Among the ${events.length} most recent alerts`}>
            <span className={critical > 0 ? 'pb-dash-count pb-dash-count--critical' : 'pb-dash-count'}>{critical} critical</span>
            <span className={high > 0 ? 'pb-dash-count pb-dash-count--high' : 'pb-dash-count'}>{high} high</span>
          </span>
        </div>
        <div className="pb-dash-alerts__feed">
          <AlertsFeed
            events={events}
            limit={60}
            emptyText={level.minPriority ? `No ${level.label.toLowerCase().replace('+', ' or higher')} alerts` : 'No alerts yet'}
          />
        </div>
      </Panel>
      <Toasts toasts={toasts} onDismiss={dismiss} />
    </>
  );
}
