'use client';

/**
 * The alerts channel as a feed: newest first, a colour chip per priority, the message and the
 * queue or node it concerns, and a relative time. New entries slide in.
 */
import { memo, useMemo } from 'react';
import { AnimatePresence, MotionConfig, motion } from 'framer-motion';
import type { ChannelEvent, Priority } from '@/lib/protocol/messages';
import { useNow } from './clock';
import { formatAge, formatClock } from './format';

export type AlertEvent = Pick<ChannelEvent, 'seq' | 'ts' | 'type' | 'priority' | 'data'>;

export interface AlertsFeedProps {
  events: readonly AlertEvent[];
  /** At most this many entries are shown (default 50). */
  limit?: number;
  /** Pins the clock for relative times (tests). */
  now?: number;
  /** Shown when there are no events. */
  emptyText?: string;
  className?: string;
}

const PRIORITY_LABEL: Record<Priority, string> = { low: 'Low', normal: 'Normal', high: 'High', critical: 'Critical' };

/** What an event says, whatever shape its `data` has: its message and what it refers to. */
export function describeAlert(event: Pick<AlertEvent, 'type' | 'data'>): { message: string; refs: string[] } {
  const data = event.data && typeof event.data === 'object' && !Array.isArray(event.data) ? event.data : {};
  const text = (key: string) => (typeof data[key] === 'string' && data[key] !== '' ? (data[key] as string) : undefined);
  const refs = [text('queueName') ?? text('queue'), text('nodeName') ?? text('node')].filter((r): r is string => r !== undefined);
  return { message: text('message') ?? event.type, refs };
}

/** Newest first (by `ts`, then `seq`), each with a key that stays stable as events arrive. */
export function orderAlerts(events: readonly AlertEvent[], limit: number): Array<{ key: string; event: AlertEvent }> {
  // several events of one publish share a seq; number them in arrival order to keep keys unique
  const seen = new Map<number, number>();
  const keyed = events.map((event, index) => {
    const n = seen.get(event.seq) ?? 0;
    seen.set(event.seq, n + 1);
    return { key: `${event.seq}.${n}`, event, index };
  });
  keyed.sort((a, b) => b.event.ts - a.event.ts || b.event.seq - a.event.seq || b.index - a.index);
  return keyed.slice(0, Math.max(0, limit)).map(({ key, event }) => ({ key, event }));
}

const AlertItem = memo(function AlertItem({ event, now }: { event: AlertEvent; now: number }) {
  const { message, refs } = describeAlert(event);
  return (
    <motion.li
      layout="position"
      className={`pb-alert pb-alert--${event.priority}`}
      initial={{ opacity: 0, y: -8 }}
      animate={{ opacity: 1, y: 0 }}
      exit={{ opacity: 0 }}
      transition={{ duration: 0.25, ease: 'easeOut' }}
    >
      <span className={`pb-chip pb-chip--${event.priority}`}>{PRIORITY_LABEL[event.priority] ?? event.priority}</span>
      <div className="pb-alert__body">
        <p className="pb-alert__message">{message}</p>
        <p className="pb-alert__meta">
          <span className="pb-alert__type">{event.type}</span>
          {refs.map((ref) => (
            <span key={ref} className="pb-alert__ref">
              {ref}
            </span>
          ))}
        </p>
      </div>
      <time className="pb-alert__time" dateTime={new Date(event.ts).toISOString()} title={formatClock(event.ts) + ' UTC'} suppressHydrationWarning>
        {formatAge(Math.max(0, now - event.ts))}
      </time>
    </motion.li>
  );
});

export function AlertsFeed({ events, limit = 50, now: fixedNow, emptyText = 'No alerts', className }: AlertsFeedProps) {
  const now = useNow(1000, events.length > 0, fixedNow);
  const items = useMemo(() => orderAlerts(events, limit), [events, limit]);

  return (
    <MotionConfig reducedMotion="user">
      <div className={className ? `pb-alerts ${className}` : 'pb-alerts'}>
        {items.length === 0 ? (
          <p className="pb-empty">{emptyText}</p>
        ) : (
          <ol className="pb-alerts__list" aria-label="Alerts, newest first">
            <AnimatePresence initial={false}>
              {items.map(({ key, event }) => (
                <AlertItem key={key} event={event} now={now} />
              ))}
            </AnimatePresence>
          </ol>
        )}
      </div>
    </MotionConfig>
  );
}

export default AlertsFeed;
