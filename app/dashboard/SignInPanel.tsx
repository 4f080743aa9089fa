'use client';
/**
 * The page shell `/` serves to a viewer it may not show data to: the header, a connection state
 * that says why nothing is live, and a sign-in form. Nothing of any tenant is in it.
 */
import { useState, type FormEvent } from 'react';
import { ConnectionIndicator } from '@/components/ConnectionIndicator';
import { DashboardBar } from './DashboardHeader';
import { signIn, signOut, type SignInReason, type Viewer } from './session';

const TITLE: Record<SignInReason, string> = {
  required: 'Sign in to see live data',
  expired: 'Your session has expired',
  rejected: 'Your session was not accepted',
};

const INTRO: Record<SignInReason, string> = {
  required: 'This dashboard shows its data to signed-in viewers only. Sign in with your access token; the data then loads over the live connection.',
  expired: 'The token you signed in with has expired. Sign in again with a fresh one to continue.',
  rejected: 'The server no longer accepts the token you signed in with. Sign in again with a valid one.',
};

export interface SignInPanelProps {
  reason: SignInReason;
  /** The server's words about a refused session, when there are any. */
  detail?: string;
  onSignedIn(viewer: Viewer): void;
  /** The page asking (a path), marked in the navigation. Default `/`. */
  current?: string;
}

export function SignInPanel({ reason, detail, onSignedIn, current }: SignInPanelProps) {
  const [value, setValue] = useState('');
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const token = value.trim();
    if (!token) {
      setError('Paste your access token first.');
      return;
    }
    setChecking(true);
    setError(null);
    const result = await signIn(token);
    // On success this panel unmounts; only a refusal needs state.
    if (result.ok) return onSignedIn(result.viewer);
    setChecking(false);
    setError(`Not signed in: ${result.message}.`);
  }

  return (
    <div className="pb-app pb-dash">
      <DashboardBar current={current}>
        <div className="pb-header__meta">
          <ConnectionIndicator state="idle" label="Not signed in" />
        </div>
      </DashboardBar>
      <main className="pb-main">
        <section className="pb-panel pb-dash-signin" aria-labelledby="pb-dash-signin-title" data-testid="sign-in">
          <div className="pb-panel__head">
            <span className="pb-dash-signin__icon" aria-hidden="true">
              <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
                <rect x="4" y="11" width="16" height="10" rx="2" />
                <path d="M8 11V7a4 4 0 0 1 8 0v4" />
              </svg>
            </span>
            <h1 className="pb-panel__title" id="pb-dash-signin-title">
              {TITLE[reason]}
            </h1>
          </div>
          <form className="pb-panel__body pb-dash-signin__form" onSubmit={submit}>
            <p className="pb-dash-signin__intro">{INTRO[reason]}</p>
            {(error || detail) && (
              <p className="pb-status-alert pb-status-alert--bad" role="alert">
                {error ?? `The server said: ${detail}.`}
              </p>
            )}
            <div className="pb-field">
              <label className="pb-label" htmlFor="pb-dash-token">
                Access token
              </label>
              <div className="pb-dash-signin__row">
                <input
                  id="pb-dash-token"
                  className="pb-input pb-mono"
                  type="password"
                  autoComplete="off"
                  spellCheck={false}
                  autoFocus
                  placeholder="eyJhbGciOiJIUzI1NiIs…"
                  value={value}
                  onChange={(e) => setValue(e.target.value)}
                  disabled={checking}
                />
                <button className="pb-button pb-button--primary" type="submit" disabled={checking}>
                  {checking ? 'Checking…' : 'Sign in'}
                </button>
              </div>
            </div>
            <p className="pb-dash-signin__note">
              The token is kept in an HTTP-only cookie for this site, out of reach of page scripts, until it expires or you sign out.
              {reason !== 'required' && (
                <>
                  {' '}
                  <button type="button" className="pb-dash-signin__link" onClick={() => void signOut()}>
                    Sign out
                  </button>
                </>
              )}
            </p>
          </form>
        </section>
      </main>
    </div>
  );
}
