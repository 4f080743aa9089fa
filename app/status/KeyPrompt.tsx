'use client';

/**
 * Asks for the admin API key when the server wants one. The key is checked before it is kept;
 * a refused key says so and the form stays for another try.
 */
import { useState, type FormEvent } from 'react';
import type { LockReason } from './access';

const INTRO: Record<LockReason, string> = {
  required: 'This server protects its admin API. Enter the key it was started with (PULSE_API_KEY) to see its status.',
  rejected: 'The server no longer accepts the key this tab was using. Enter the current key to continue.',
  forgotten: 'The key was forgotten for this tab. Enter it again to continue.',
};

export interface KeyPromptProps {
  reason: LockReason;
  unlock(key: string): Promise<{ ok: true } | { ok: false; message: string }>;
}

export function KeyPrompt({ reason, unlock }: KeyPromptProps) {
  const [value, setValue] = useState('');
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const key = value.trim();
    if (!key) {
      setError('Enter the key first.');
      return;
    }
    setChecking(true);
    setError(null);
    const result = await unlock(key);
    // On success this form unmounts; only a refusal needs state.
    if (!result.ok) {
      setChecking(false);
      setError(result.message);
      setValue('');
    }
  }

  return (
    <section className="pb-panel pb-status-lock" aria-labelledby="pb-status-lock-title">
      <div className="pb-panel__head">
        <span className="pb-status-lock__icon" aria-hidden="true">
          <svg viewBox="0 0 24 24" width="16" height="16" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
            <rect x="4" y="11" width="16" height="10" rx="2" />
            <path d="M8 11V7a4 4 0 0 1 8 0v4" />
          </svg>
        </span>
        <h2 className="pb-panel__title" id="pb-status-lock-title">
          Admin key required
        </h2>
      </div>
      <form className="pb-panel__body pb-status-lock__form" onSubmit={submit}>
        <p className="pb-status-lock__intro">{INTRO[reason]}</p>
        {(error || reason === 'rejected') && (
          <p className="pb-status-alert pb-status-alert--bad" role="alert">
            {error ?? 'The server refused the stored key.'}
          </p>
        )}
        <div className="pb-field">
          <label className="pb-label" htmlFor="pb-status-key">
            Admin API key
          </label>
          <div className="pb-status-lock__row">
            <input
              id="pb-status-key"
              className="pb-input pb-mono"
              type="password"
              autoComplete="off"
              spellCheck={false}
              autoFocus
              value={value}
              onChange={(e) => setValue(e.target.value)}
              disabled={checking}
            />
            <button className="pb-button pb-button--primary" type="submit" disabled={checking}>
              {checking ? 'Checking…' : 'Unlock'}
            </button>
          </div>
        </div>
        <p className="pb-status-lock__note">
          Kept in this tab&apos;s session storage only and sent to this server as a Bearer header. Closing the tab forgets it.
        </p>
      </form>
    </section>
  );
}
