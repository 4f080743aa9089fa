'use client';
/**
 * The protocol tester: one Pulseboard client (`lib/client`) driven by hand, with everything
 * that crosses its socket on show.
 */
import './jitless';
import Link from 'next/link';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import { ConnectionIndicator } from '@/components/ConnectionIndicator';
import { defaultHubUrl } from '@/components/PulseProvider';
import type { ClientState } from '@/lib/client/states';
import { ConnectionPanel } from './ConnectionPanel';
import { FrameLog } from './FrameLog';
import { PublishPanel } from './PublishPanel';
import { SessionPanel } from './SessionPanel';
import { CountersPanel, RttPanel } from './StatsPanel';
import { SubscribePanel, type SubscribeDraft } from './SubscribePanel';
import { SubscriptionsPanel } from './SubscriptionsPanel';
import { TesterModel, type SubscriptionView } from './tester-model';

const STATE_LABEL: Partial<Record<ClientState, string>> = {
  idle: 'Not connected',
  open: 'Open',
  closed: 'Closed',
};

export function Tester() {
  const [model] = useState(() => new TesterModel());
  const view = useSyncExternalStore(model.subscribe, model.getView, model.getView);
  const [draft, setDraft] = useState<SubscribeDraft | null>(null);

  useEffect(() => {
    model.start();
    if (!model.getView().url) model.setUrl(defaultHubUrl());
    return () => model.stop();
  }, [model]);

  const edit = useCallback((s: SubscriptionView) => {
    setDraft((previous) => ({
      channel: s.channel,
      ...(s.view !== undefined ? { view: s.view } : {}),
      ...(s.intervalMs !== undefined ? { intervalMs: s.intervalMs } : {}),
      filterText: JSON.stringify(s.filter ?? {}, null, 2),
      serial: (previous?.serial ?? 0) + 1,
    }));
    document.getElementById('tester-subscribe')?.querySelector('textarea')?.focus();
  }, []);

  return (
    <div className="pb-app">
      <header className="pb-header">
        <div className="pb-header__title">
          Pulseboard <span className="pb-tester-title-sep">/</span> <h1 className="pb-tester-h1">WebSocket tester</h1>
        </div>
        <nav className="pb-header__nav" aria-label="Pages">
          <Link href="/">Operations</Link>
          <Link href="/d">Dashboards</Link>
          <Link href="/websocket-test" aria-current="page">
            Tester
          </Link>
          <Link href="/status">Status</Link>
        </nav>
        <div className="pb-header__meta">
          {view.session && (
            <span className="pb-mono pb-tester-header-session">
              {view.session.user}@{view.session.tenant}
            </span>
          )}
          <ConnectionIndicator state={view.state} label={STATE_LABEL[view.state]} className="pb-tester-state" />
        </div>
      </header>

      <main className="pb-main pb-tester" data-state={view.state}>
        <div className="pb-tester-side">
          <ConnectionPanel model={model} view={view} />
          <SessionPanel view={view} />
          <SubscribePanel model={model} view={view} draft={draft} />
          <PublishPanel model={model} view={view} />
        </div>
        <div className="pb-tester-content">
          <div className="pb-tester-top">
            <RttPanel model={model} view={view} />
            <CountersPanel model={model} view={view} />
          </div>
          <SubscriptionsPanel model={model} view={view} onEdit={edit} />
          <FrameLog model={model} view={view} />
        </div>
      </main>
    </div>
  );
}
