'use client';
/**
 * The open session: the fields of `welcome`, and how long the token has left.
 */
import { formatDuration } from '@/components/format';
import { useNow } from '@/components/clock';
import type { TesterView } from './tester-model';
import { Panel } from './ui';

export function SessionPanel({ view }: { view: TesterView }) {
  const { session } = view;
  const now = useNow(1000, session !== null);

  if (!session) {
    return (
      <Panel title="Session" id="tester-session">
        <p className="pb-tester-placeholder" data-testid="session-empty">
          {view.state === 'idle' || view.state === 'closed'
            ? 'Not connected. Choose a token and press Connect.'
            : view.state === 'error'
              ? 'The client stopped with an error; Connect starts again.'
              : 'Waiting for welcome…'}
        </p>
      </Panel>
    );
  }

  const left = session.expiresAt === null ? null : session.expiresAt - now;
  return (
    <Panel title="Session" id="tester-session">
      <dl className="pb-tester-facts pb-tester-facts--session" data-testid="session">
        <dt>User</dt>
        <dd className="pb-mono" data-testid="session-user">
          {session.user}
        </dd>
        <dt>Tenant</dt>
        <dd className="pb-mono">{session.tenant}</dd>
        <dt>Connection</dt>
        <dd className="pb-mono">{session.connectionId}</dd>
        <dt>Instance</dt>
        <dd className="pb-mono">{session.instance}</dd>
        <dt>Protocol</dt>
        <dd className="pb-mono">{session.protocol}</dd>
        <dt>Heartbeat</dt>
        <dd className="pb-mono">{session.heartbeatMs} ms</dd>
        <dt>Expires</dt>
        <dd data-testid="session-expires">
          {session.expiresAt === null ? (
            <span className="pb-muted">never (no exp)</span>
          ) : (
            <>
              <span className="pb-mono">{new Date(session.expiresAt).toLocaleTimeString()}</span>{' '}
              <span className={left !== null && left < 60_000 ? 'pb-tester-countdown pb-tester-countdown--soon' : 'pb-tester-countdown'}>
                {left !== null && left > 0 ? `in ${formatDuration(left / 1000)}` : 'expired'}
              </span>
            </>
          )}
        </dd>
        <dt>Connected</dt>
        <dd>
          {view.sessionSince !== null ? (
            <span className="pb-mono">{formatDuration(Math.max(0, now - view.sessionSince) / 1000)}</span>
          ) : (
            '—'
          )}
          <span className="pb-muted"> · session #{view.counters.sessions}</span>
        </dd>
      </dl>
    </Panel>
  );
}
