'use client';

/**
 * A small stack of toasts for critical events, bottom-right. Each dismisses itself after
 * ~6 s (paused while hovered or focused) or with its close button.
 */
import { useEffect, useRef, useState } from 'react';
import { AnimatePresence, MotionConfig, motion } from 'framer-motion';
import type { ChannelEvent } from '@/lib/protocol/messages';
import { describeAlert } from './AlertsFeed';

export interface Toast {
  id: string;
  title: string;
  body?: string;
}

export interface ToastsProps {
  toasts: readonly Toast[];
  onDismiss(id: string): void;
  /** Auto-dismiss delay, ms (default 6000). */
  durationMs?: number;
  /** Only the newest this many are shown (default 4). */
  max?: number;
}

const TITLES: Record<string, string> = {
  'alert.sla': 'SLA breach risk',
  'alert.capacity': 'Capacity exhausted',
  'alert.node': 'Node alert',
};

/**
 * A toast for an event of one channel (typically a `critical` one). `index` is the event's
 * position within its publish, since events of one publish share a `seq`.
 */
export function toastFromEvent(event: Pick<ChannelEvent, 'seq' | 'ts' | 'type' | 'data'>, index = 0): Toast {
  const { message, refs } = describeAlert(event);
  const title = TITLES[event.type] ?? event.type;
  return { id: `${event.seq}.${index}`, title, body: refs.length ? `${message} · ${refs.join(' · ')}` : message };
}

function ToastItem({ toast, onDismiss, durationMs }: { toast: Toast; onDismiss(id: string): void; durationMs: number }) {
  const [paused, setPaused] = useState(false);
  const dismiss = useRef(onDismiss);
  useEffect(() => {
    dismiss.current = onDismiss;
  });
  const remaining = useRef(durationMs);

  useEffect(() => {
    if (paused) return;
    const started = Date.now();
    const timer = setTimeout(() => dismiss.current(toast.id), remaining.current);
    return () => {
      clearTimeout(timer);
      remaining.current = Math.max(1000, remaining.current - (Date.now() - started));
    };
  }, [paused, toast.id]);

  return (
    <motion.li
      layout
      className="pb-toast"
      initial={{ opacity: 0, x: 24 }}
      animate={{ opacity: 1, x: 0 }}
      exit={{ opacity: 0, x: 24 }}
      transition={{ duration: 0.2 }}
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={() => setPaused(false)}
    >
      <div className="pb-toast__content">
        <p className="pb-toast__title">{toast.title}</p>
        {toast.body && <p className="pb-toast__body">{toast.body}</p>}
      </div>
      <button type="button" className="pb-toast__close" aria-label={`Dismiss: ${toast.title}`} onClick={() => onDismiss(toast.id)}>
        ×
      </button>
    </motion.li>
  );
}

export function Toasts({ toasts, onDismiss, durationMs = 6000, max = 4 }: ToastsProps) {
  const visible = toasts.slice(-max);
  return (
    <MotionConfig reducedMotion="user">
      <ol className="pb-toasts" aria-live="assertive" aria-relevant="additions" aria-label="Critical alerts">
        <AnimatePresence initial={false}>
          {visible.map((toast) => (
            <ToastItem key={toast.id} toast={toast} onDismiss={onDismiss} durationMs={durationMs} />
          ))}
        </AnimatePresence>
      </ol>
    </MotionConfig>
  );
}

export default Toasts;
