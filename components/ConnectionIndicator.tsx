/**
 * The connection's state as a coloured dot and a word, for the dashboard header. Announced
 * politely to screen readers when it changes. While the socket is up but every view is paused
 * (nothing on the page is seen), it says "Paused" rather than "Live": no data flows then.
 */

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'fallback' | 'offline' | 'closed' | 'error';

export type ConnectionTone = 'ok' | 'pending' | 'info' | 'muted' | 'bad';

export interface ConnectionAppearance {
  tone: ConnectionTone;
  label: string;
  /** Longer explanation, used as the tooltip. */
  description: string;
  /** Whether the dot pulses (only while live). */
  pulse: boolean;
}

const APPEARANCE: Record<ConnectionState, ConnectionAppearance> = {
  idle: { tone: 'muted', label: 'Starting…', description: 'The live connection has not started yet.', pulse: false },
  connecting: { tone: 'pending', label: 'Connecting…', description: 'Opening the live connection.', pulse: false },
  open: { tone: 'ok', label: 'Live', description: 'Connected: updates arrive as they happen.', pulse: true },
  reconnecting: { tone: 'pending', label: 'Reconnecting…', description: 'The connection dropped; retrying. Nothing will be lost.', pulse: false },
  fallback: { tone: 'info', label: 'Polling', description: 'Live connection unavailable: refreshing periodically until it is back.', pulse: false },
  offline: { tone: 'muted', label: 'Offline', description: 'This device is offline; updates resume when the network returns.', pulse: false },
  closed: { tone: 'bad', label: 'Disconnected', description: 'The connection is closed.', pulse: false },
  error: { tone: 'bad', label: 'Connection error', description: 'The connection failed.', pulse: false },
};

const PAUSED: ConnectionAppearance = {
  tone: 'muted',
  label: 'Paused',
  description: 'Connected, but nothing on this page is in sight, so live updates are paused; they catch up as soon as it is seen again.',
  pulse: false,
};

/** Colour, label and wording for a connection state (`paused`: every view is paused, which only shows while `open`). */
export function connectionAppearance(state: ConnectionState, paused = false): ConnectionAppearance {
  if (paused && state === 'open') return PAUSED;
  return APPEARANCE[state] ?? APPEARANCE.error;
}

export interface ConnectionIndicatorProps {
  state: ConnectionState;
  /** Every view is paused (`useConnectionStatus().paused`): an open connection then reads "Paused". */
  paused?: boolean;
  /** Replaces the default label (e.g. "Reconnecting (attempt 3)"). */
  label?: string;
  /** Show only the dot; the label stays available to screen readers. */
  compact?: boolean;
  className?: string;
}

export function ConnectionIndicator({ state, paused = false, label, compact = false, className }: ConnectionIndicatorProps) {
  const look = connectionAppearance(state, paused);
  const showsPaused = look === PAUSED;
  const classes = ['pb-conn', `pb-conn--${look.tone}`, look.pulse && 'pb-conn--pulse', compact && 'pb-conn--compact', className]
    .filter(Boolean)
    .join(' ');
  return (
    <span className={classes} role="status" aria-live="polite" title={look.description} data-state={state} data-paused={showsPaused ? 'true' : undefined}>
      <span className="pb-conn__dot" aria-hidden="true" />
      <span className={compact ? 'pb-visually-hidden' : 'pb-conn__label'}>{label ?? look.label}</span>
    </span>
  );
}

export default ConnectionIndicator;
