'use client';
/**
 * This page's subscriptions, one row per (channel, view) (docs/protocol.md §12), with their
 * pace, position and what they hold.
 */
import { useState } from 'react';
import { formatInteger } from '@/components/format';
import { formatTime, clip } from './frame-info';
import { describeSubscription } from './tester-model';
import type { ActionResult, SubscriptionView, TesterModel, TesterView } from './tester-model';
import { Panel, ResultLine } from './ui';

const STATUS_LABEL: Record<SubscriptionView['status'], string> = {
  subscribing: 'subscribing',
  live: 'live',
  error: 'refused',
  waiting: 'waiting for session',
};

export function SubscriptionsPanel({
  model,
  view,
  onEdit,
}: {
  model: TesterModel;
  view: TesterView;
  onEdit: (subscription: SubscriptionView) => void;
}) {
  const [result, setResult] = useState<ActionResult | null>(null);
  const subs = view.subscriptions;

  return (
    <Panel title={`Subscriptions (${subs.length})`} id="tester-subscriptions" flush>
      {subs.length === 0 ? (
        <p className="pb-tester-placeholder pb-tester-placeholder--pad">No subscriptions yet: use the Subscribe panel.</p>
      ) : (
        <div className="pb-table-wrap">
          <table className="pb-table pb-tester-table" data-testid="subscriptions">
            <thead>
              <tr>
                <th scope="col">Channel · view · filter</th>
                <th scope="col">Status</th>
                <th scope="col">Epoch : seq</th>
                <th scope="col" className="pb-num">
                  Records
                </th>
                <th scope="col" className="pb-num">
                  Events
                </th>
                <th scope="col" className="pb-num" title="Users watching (subscribed with presence)">
                  Watching
                </th>
                <th scope="col">Recovered</th>
                <th scope="col">
                  <span className="pb-visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {subs.map((s) => [
                <tr key={s.key} data-channel={s.channel} data-view={s.view} className={s.error ? 'pb-tester-row--has-error' : undefined}>
                  <th scope="row">
                    <span className="pb-mono">{s.channel}</span>{' '}
                    {s.view === undefined ? (
                      <span className="pb-tester-view pb-tester-view--default" title="No view: the channel's default view">
                        default
                      </span>
                    ) : (
                      <span className="pb-tester-view" title={`view ${s.view}`}>
                        {s.view}
                      </span>
                    )}
                    {s.intervalMs !== undefined && (
                      <span className="pb-tester-pace" title={`At most one delta every ${s.intervalMs} ms`} data-testid="pace">
                        every {formatInteger(s.intervalMs)} ms
                      </span>
                    )}
                    <div className="pb-mono pb-tester-filter-cell" title={s.filter ? JSON.stringify(s.filter, null, 2) : undefined}>
                      {s.filter ? clip(JSON.stringify(s.filter), 60) : 'no filter'}
                    </div>
                  </th>
                  <td>
                    <span
                      className={`pb-tester-status pb-tester-status--${s.status}`}
                      title={s.error ?? (s.updatedAt ? `last data ${formatTime(s.updatedAt)}` : undefined)}
                    >
                      {STATUS_LABEL[s.status]}
                    </span>
                  </td>
                  <td className="pb-mono" data-testid="position">
                    {s.position ? (
                      <>
                        <span className="pb-muted">{s.position.epoch}</span> : {s.position.seq}
                      </>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="pb-num" data-testid="records">
                    {formatInteger(s.records)}
                  </td>
                  <td className="pb-num">{formatInteger(s.events)}</td>
                  <td className="pb-num" data-testid="watching">
                    {s.watching === null ? <span className="pb-muted">—</span> : formatInteger(s.watching)}
                  </td>
                  <td data-testid="recovered">
                    {s.recovered === null ? (
                      <span className="pb-muted">—</span>
                    ) : s.recovered ? (
                      <span className="pb-tester-yes">true</span>
                    ) : (
                      <span className="pb-tester-no">false</span>
                    )}
                  </td>
                  <td>
                    <div className="pb-tester-row-actions">
                      <button type="button" className="pb-button pb-button--chip" onClick={() => onEdit(s)} title="Load into the subscribe form">
                        Edit
                      </button>
                      <button
                        type="button"
                        className="pb-button pb-button--chip"
                        onClick={async () => setResult(await model.resync(s.channel, s.view))}
                        aria-label={`Resync ${describeSubscription(s.channel, s.view)}`}
                      >
                        Resync
                      </button>
                      <button
                        type="button"
                        className="pb-button pb-button--chip"
                        onClick={async () => setResult(await model.unsubscribeChannel(s.channel, s.view))}
                        aria-label={`Unsubscribe from ${describeSubscription(s.channel, s.view)}`}
                      >
                        Unsubscribe
                      </button>
                    </div>
                  </td>
                </tr>,
                s.error && (
                  <tr key={`${s.key}:error`} className="pb-tester-error-row">
                    <td colSpan={8} className="pb-tester-error" data-testid="subscription-error">
                      {s.error}
                    </td>
                  </tr>
                ),
              ])}
            </tbody>
          </table>
        </div>
      )}
      {result && (
        <div className="pb-tester-panel-foot">
          <ResultLine result={result} testId="subscriptions-result" />
        </div>
      )}
    </Panel>
  );
}
