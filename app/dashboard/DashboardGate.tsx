'use client';
/**
 * What `/` shows in the browser: the dashboard for the viewer the server rendered it for, or the
 * sign-in shell. From the shell, a sign-in brings the dashboard up empty and it loads over the
 * socket (authenticated by the session cookie); a session the hub later refuses (expired,
 * revoked) brings the shell back.
 */
import { useState } from 'react';
import type { InitialSnapshot } from '@/lib/store/types';
import { Dashboard } from './Dashboard';
import { SignInPanel } from './SignInPanel';
import type { SignInReason, Viewer } from './session';

export type GateState =
  | { phase: 'signed-out'; reason: SignInReason; detail?: string }
  /** `viewer` is null for an anonymous viewer (anonymous mode, no session cookie). */
  | { phase: 'signed-in'; viewer: Viewer | null; initial: readonly InitialSnapshot[] };

export interface DashboardGateProps {
  start: GateState;
  /** Passed to the dashboard: how long the page stays hidden before its views pause, ms. */
  pauseHiddenAfterMs?: number;
}

export function DashboardGate({ start, pauseHiddenAfterMs }: DashboardGateProps) {
  const [state, setState] = useState(start);
  if (state.phase === 'signed-out') {
    return <SignInPanel reason={state.reason} detail={state.detail} onSignedIn={(viewer) => setState({ phase: 'signed-in', viewer, initial: [] })} />;
  }
  return (
    <Dashboard
      initial={state.initial}
      viewer={state.viewer}
      pauseHiddenAfterMs={pauseHiddenAfterMs}
      onSessionEnded={state.viewer ? (reason, detail) => setState({ phase: 'signed-out', reason, detail }) : undefined}
    />
  );
}
