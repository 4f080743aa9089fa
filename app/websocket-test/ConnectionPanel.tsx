'use client';
/**
 * Connect, disconnect, reconnect and drop; and which token the next `auth` carries.
 */
import { useState, type FormEvent } from 'react';
import { formatDuration } from '@/components/format';
import { useNow } from '@/components/clock';
import type { ActionResult, TesterModel, TesterView } from './tester-model';
import { formatTime } from './frame-info';
import { describeRights, parsePatterns } from './tokens';
import { Panel, ResultLine, submitOnCtrlEnter } from './ui';

const CLOSE_MEANINGS: Record<number, string> = {
  1000: 'normal',
  1001: 'server shutting down',
  1005: 'no status',
  1006: 'lost without a close frame',
  1008: 'policy violation',
  1009: 'frame too large',
  1011: 'internal error',
  1013: 'try again later',
  4000: 'heartbeat timeout',
  4001: 'handshake timeout',
  4002: 'browser offline',
  4003: 'reconnect requested',
  4004: 'token or socket failed',
  4005: 'dropped on purpose',
  4401: 'auth failed or expired',
};

export function closeMeaning(code: number): string {
  return CLOSE_MEANINGS[code] ?? 'unknown';
}

type TokenTab = 'anonymous' | 'dev' | 'paste';

export function ConnectionPanel({ model, view }: { model: TesterModel; view: TesterView }) {
  const active = view.state !== 'idle' && view.state !== 'closed' && view.state !== 'error';
  const now = useNow(500, view.nextRetry !== null);

  return (
    <Panel title="Connection" id="tester-connection">
      <div className="pb-tester-stack">
        <label className="pb-field">
          <span className="pb-label">Hub URL</span>
          <input
            className="pb-input pb-mono"
            value={view.url}
            placeholder="ws://this-host/api/ws"
            onChange={(e) => model.setUrl(e.target.value)}
            spellCheck={false}
            aria-describedby="tester-url-help"
          />
          <span className="pb-tester-help" id="tester-url-help">
            Read at every attempt; empty means this page&apos;s host.
          </span>
        </label>

        <div className="pb-tester-buttons">
          {active ? (
            <button type="button" className="pb-button" onClick={() => model.disconnect()} data-testid="disconnect">
              Disconnect
            </button>
          ) : (
            <button type="button" className="pb-button pb-button--primary" onClick={() => model.connect()} data-testid="connect">
              Connect
            </button>
          )}
          <button type="button" className="pb-button" onClick={() => model.reconnect()} disabled={!active} title="Close the socket and connect again at once">
            Reconnect
          </button>
          <button
            type="button"
            className="pb-button pb-button--danger"
            onClick={() => model.drop()}
            disabled={!active}
            title="Kill the socket as a network failure would (close 4005): the client reconnects with backoff and resumes every channel with since"
            data-testid="drop"
          >
            Drop connection
          </button>
        </div>

        <dl className="pb-tester-facts">
          <dt>Last close</dt>
          <dd data-testid="last-close">
            {view.lastDisconnect ? (
              <>
                <span className="pb-mono">{view.lastDisconnect.code}</span> {closeMeaning(view.lastDisconnect.code)}
                <span className="pb-muted"> at {formatTime(view.lastDisconnect.at)}</span>
                {view.lastDisconnect.reason && <div className="pb-muted">“{view.lastDisconnect.reason}”</div>}
                {!view.lastDisconnect.willReconnect && <span className="pb-muted"> · stays closed</span>}
              </>
            ) : (
              <span className="pb-muted">—</span>
            )}
          </dd>
          {view.nextRetry && (
            <>
              <dt>Next attempt</dt>
              <dd>
                attempt {view.nextRetry.attempt + 1}
                {' · '}
                {Math.max(0, view.nextRetry.at + view.nextRetry.delayMs - now) > 0
                  ? `in ${((view.nextRetry.at + view.nextRetry.delayMs - now) / 1000).toFixed(1)} s`
                  : 'now'}
                <span className="pb-muted"> (backoff {view.nextRetry.delayMs} ms)</span>
              </dd>
            </>
          )}
        </dl>

        <TokenSection model={model} view={view} />
      </div>
    </Panel>
  );
}

function TokenSection({ model, view }: { model: TesterModel; view: TesterView }) {
  const [tab, setTab] = useState<TokenTab>('dev');
  const [user, setUser] = useState('tester');
  const [tenant, setTenant] = useState('demo');
  const [subscribe, setSubscribe] = useState('*');
  const [publish, setPublish] = useState('sandbox*');
  const [ttl, setTtl] = useState('3600');
  const [pasted, setPasted] = useState('');
  const [result, setResult] = useState<ActionResult | null>(null);
  const [busy, setBusy] = useState(false);

  async function getDevToken(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const ttlS = Number(ttl);
    const request = {
      user: user.trim(),
      tenant: tenant.trim(),
      subscribe: parsePatterns(subscribe),
      publish: parsePatterns(publish),
      ...(Number.isInteger(ttlS) && ttlS > 0 ? { ttlS } : {}),
    };
    setResult(await model.requestDevToken(request));
    setBusy(false);
  }

  function applyPasted(event: FormEvent) {
    event.preventDefault();
    if (!pasted.trim()) {
      setResult({ ok: false, at: Date.now(), code: 'EMPTY', message: 'paste a token first' });
      return;
    }
    model.choosePastedToken(pasted);
    setResult({ ok: true, at: Date.now(), text: 'using the pasted token' });
  }

  const tabs: Array<[TokenTab, string]> = [
    ['dev', 'Dev token'],
    ['paste', 'Paste token'],
    ['anonymous', 'Anonymous'],
  ];

  return (
    <div className="pb-tester-token">
      <div className="pb-tester-subhead">
        <h3>Token</h3>
        <div className="pb-tester-segmented" role="tablist" aria-label="Token source">
          {tabs.map(([key, label]) => (
            <button
              key={key}
              type="button"
              role="tab"
              aria-selected={tab === key}
              className="pb-tester-segmented__item"
              onClick={() => setTab(key)}
            >
              {label}
            </button>
          ))}
        </div>
      </div>

      {tab === 'dev' && (
        <form className="pb-tester-form pb-tester-form--grid" onSubmit={getDevToken} aria-label="Development token">
          <label className="pb-field">
            <span className="pb-label">User (sub)</span>
            <input className="pb-input" value={user} onChange={(e) => setUser(e.target.value)} required name="user" />
          </label>
          <label className="pb-field">
            <span className="pb-label">Tenant</span>
            <input className="pb-input" value={tenant} onChange={(e) => setTenant(e.target.value)} required name="tenant" />
          </label>
          <label className="pb-field">
            <span className="pb-label">Subscribe patterns</span>
            <input className="pb-input pb-mono" value={subscribe} onChange={(e) => setSubscribe(e.target.value)} name="subscribe" placeholder="kpi, fleet*" />
          </label>
          <label className="pb-field">
            <span className="pb-label">Publish patterns</span>
            <input className="pb-input pb-mono" value={publish} onChange={(e) => setPublish(e.target.value)} name="publish" placeholder="none" />
          </label>
          <label className="pb-field">
            <span className="pb-label">Lifetime (s)</span>
            <input className="pb-input" value={ttl} onChange={(e) => setTtl(e.target.value)} inputMode="numeric" name="ttl" />
          </label>
          <div className="pb-tester-form__submit">
            <button type="submit" className="pb-button pb-button--primary" disabled={busy} data-testid="get-token">
              {busy ? 'Requesting…' : 'Get token'}
            </button>
          </div>
          <p className="pb-tester-help pb-tester-form__wide">
            Comma-separated, <code>*</code> matches anything. Both empty: subscribe to all, publish none. One empty: that
            list grants nothing. An open session reconnects with the new token.
          </p>
        </form>
      )}

      {tab === 'paste' && (
        <form className="pb-tester-form" onSubmit={applyPasted} aria-label="Paste a token">
          <label className="pb-field">
            <span className="pb-label">JWT</span>
            <textarea
              className="pb-textarea"
              rows={3}
              value={pasted}
              onChange={(e) => setPasted(e.target.value)}
              onKeyDown={submitOnCtrlEnter}
              spellCheck={false}
              placeholder="eyJhbGciOiJIUzI1NiJ9…"
            />
          </label>
          <div className="pb-tester-buttons">
            <button type="submit" className="pb-button pb-button--primary">
              Use token
            </button>
          </div>
        </form>
      )}

      {tab === 'anonymous' && (
        <div className="pb-tester-form">
          <p className="pb-tester-help">
            <code>auth</code> without a token: user <code>anon-…</code>, tenant <code>demo</code>, subscribe to all, publish none
            (when the server allows anonymous sessions).
          </p>
          <div className="pb-tester-buttons">
            <button
              type="button"
              className="pb-button"
              onClick={() => {
                model.chooseAnonymous();
                setResult({ ok: true, at: Date.now(), text: 'connecting anonymously' });
              }}
            >
              Use no token
            </button>
          </div>
        </div>
      )}

      <ResultLine result={result} testId="token-result" />
      <CurrentToken view={view} />
    </div>
  );
}

function CurrentToken({ view }: { view: TesterView }) {
  const { token } = view;
  const now = useNow(1000, token.claims?.exp !== undefined);
  const rights = describeRights(token.claims);
  if (token.mode === 'anonymous') {
    return (
      <div className="pb-tester-current" data-testid="current-token">
        <div>
          Next <code>auth</code>: <strong>anonymous</strong> <span className="pb-muted">(no token)</span>
        </div>
      </div>
    );
  }
  const exp = token.claims?.exp;
  return (
    <div className="pb-tester-current" data-testid="current-token">
      <div>
        Next <code>auth</code>: <strong>{token.claims?.sub ?? '?'}</strong>@<strong>{token.claims?.tenant ?? '?'}</strong>
        <span className="pb-muted"> · {token.source === 'dev' ? 'development token' : 'pasted token'}</span>
        {token.renewals > 0 && <span className="pb-muted"> · renewed {token.renewals}×</span>}
      </div>
      <div className="pb-tester-current__rights">
        <span>
          subscribe <code>{rights.subscribe}</code>
        </span>
        <span>
          publish <code>{rights.publish}</code>
        </span>
        {exp !== undefined && (
          <span className={exp < now ? 'pb-tester-expired' : undefined}>
            {exp < now ? 'expired' : `expires in ${formatDuration((exp - now) / 1000)}`}
          </span>
        )}
      </div>
      <code className="pb-tester-token-text" title={token.token}>
        {token.token}
      </code>
    </div>
  );
}
