/**
 * The connection's state as a coloured dot and a word, for the dashboard header. Announced
 * politely to screen readers when it changes.
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

/** Colour, label and wording for a connection state. */
export function connectionAppearance(state: ConnectionState): ConnectionAppearance {
  return APPEARANCE[state] ?? APPEARANCE.error;
}

export interface ConnectionIndicatorProps {
  state: ConnectionState;
  /** Replaces the default label (e.g. "Reconnecting (attempt 3)"). */
  label?: string;
  /** Show only the dot; the label stays available to screen readers. */
  compact?: boolean;
  className?: string;
}

export function ConnectionIndicator({ state, label, compact = false, className }: ConnectionIndicatorProps) {
  const look = connectionAppearance(state);
  const classes = ['pb-conn', `pb-conn--${look.tone}`, look.pulse && 'pb-conn--pulse', compact && 'pb-conn--compact', className]
    .filter(Boolean)
    .join(' ');
  return (
    <span className={classes} role="status" aria-live="polite" title={look.description} data-state={state}>
      <span className="pb-conn__dot" aria-hidden="true" />
      <span className={compact ? 'pb-visually-hidden' : 'pb-conn__label'}>{label ?? look.label}</span>
    </span>
  );
}

export default ConnectionIndicator;
