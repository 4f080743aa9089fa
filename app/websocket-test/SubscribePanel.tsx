'use client';
/**
 * Subscribe (filter editor, optional `since`), resync and unsubscribe by channel name. The
 * filter is checked with the protocol's own `validateFilter` before anything is sent, unless
 * the tester asks to let the server judge it.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { isChannelName } from '@/lib/protocol/channel';
import { validateFilter, type Filter } from '@/lib/protocol/filter';
import type { StreamPosition } from '@/lib/protocol/messages';
import type { ActionResult, TesterModel, TesterView } from './tester-model';
import { ChannelField, JsonField, type JsonSample } from './fields';
import { Kbd, Panel, ResultLine } from './ui';

export const FILTER_EXAMPLES: readonly JsonSample[] = [
  { label: 'No filter', value: {} },
  { label: 'ids', value: { ids: ['acme-billing', 'acme-sales'] } },
  { label: 'where: equality', value: { where: { org: 'acme', department: 'support' } } },
  { label: 'where: operators', value: { where: { utilization: { gte: 0.8 }, org: { in: ['acme', 'globex'] } } } },
  { label: 'bounds: Europe', value: { bounds: { north: 60, south: 35, east: 30, west: -10 }, fields: ['lat', 'lon', 'status'] } },
  { label: 'bounds: across the antimeridian', value: { bounds: { north: 30, south: -50, east: -170, west: 170 } } },
  { label: 'events: type and priority', value: { eventTypes: ['alert.sla', 'alert.node*'], minPriority: 'high' } },
  { label: 'Invalid: unknown key', value: { colour: 'red' } },
  { label: 'Invalid: latitude out of range', value: { bounds: { north: 95, south: 0, east: 10, west: 0 } } },
];

export const CHANNEL_SUGGESTIONS = ['kpi', 'backlog', 'fleet', 'alerts', 'sandbox'];

/** A request from elsewhere on the page to load a channel and filter into the form. */
export interface SubscribeDraft {
  channel: string;
  filterText: string;
  since?: StreamPosition;
  serial: number;
}

type Check = { kind: 'ok'; filter: Filter | undefined; raw: unknown } | { kind: 'json'; message: string } | { kind: 'invalid'; message: string; raw: unknown };

function checkFilter(text: string): Check {
  if (!text.trim()) return { kind: 'ok', filter: undefined, raw: undefined };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'json', message: error instanceof Error ? error.message : 'not JSON' };
  }
  const result = validateFilter(raw);
  if (!result.ok) return { kind: 'invalid', message: result.message, raw };
  return { kind: 'ok', filter: Object.keys(result.filter).length > 0 ? result.filter : undefined, raw };
}

export function SubscribePanel({ model, view, draft }: { model: TesterModel; view: TesterView; draft: SubscribeDraft | null }) {
  const [channel, setChannel] = useState('kpi');
  const [filterText, setFilterText] = useState('{}');
  const [presence, setPresence] = useState(false);
  const [epoch, setEpoch] = useState('');
  const [seq, setSeq] = useState('');
  const [skipCheck, setSkipCheck] = useState(false);
  const [result, setResult] = useState<ActionResult | null>(null);

  // Each new draft fills the form once, while rendering (the fields stay editable afterwards).
  const [loaded, setLoaded] = useState<SubscribeDraft | null>(null);
  if (draft && draft !== loaded) {
    setLoaded(draft);
    setChannel(draft.channel);
    setFilterText(draft.filterText);
    setEpoch(draft.since?.epoch ?? '');
    setSeq(draft.since ? String(draft.since.seq) : '');
  }

  const check = useMemo(() => checkFilter(filterText), [filterText]);
  const channelOk = isChannelName(channel.trim());
  const sinceError = (() => {
    if (!epoch.trim() && !seq.trim()) return null;
    if (!epoch.trim() || !seq.trim()) return 'give both epoch and seq, or neither';
    if (!/^\d+$/.test(seq.trim())) return 'seq must be a whole number';
    return null;
  })();
  const since: StreamPosition | undefined = epoch.trim() && seq.trim() && !sinceError ? { epoch: epoch.trim(), seq: Number(seq.trim()) } : undefined;
  const canSend = channelOk && !sinceError && (check.kind === 'ok' || (skipCheck && check.kind === 'invalid'));
  const subscribed = view.subscriptions.some((s) => s.channel === channel.trim());
  const position = view.subscriptions.find((s) => s.channel === channel.trim())?.position ?? view.channels.find((c) => c.channel === channel.trim());

  async function subscribe(event: FormEvent) {
    event.preventDefault();
    if (!canSend) return;
    const filter = check.kind === 'ok' ? check.filter : (check.raw as Filter);
    setResult(await model.subscribeChannel(channel.trim(), filter, since, presence));
  }

  return (
    <Panel title="Subscribe" id="tester-subscribe">
      <form className="pb-tester-form" onSubmit={subscribe} aria-label="Subscribe">
        <ChannelField value={channel} onChange={setChannel} invalid={!channelOk} name="channel" testId="subscribe-channel">
          {!channelOk && <span className="pb-tester-error">A channel name matches ^[A-Za-z0-9_.:-]{'{'}1,128{'}'}$</span>}
        </ChannelField>

        <JsonField
          id="tester-filter"
          label="Filter (JSON)"
          value={filterText}
          onChange={setFilterText}
          samples={FILTER_EXAMPLES}
          samplesLabel="Insert a filter example"
          samplesPlaceholder="Examples…"
          invalid={check.kind !== 'ok'}
          describedBy="tester-filter-check"
          testId="subscribe-filter"
        >
          <span
            id="tester-filter-check"
            className={check.kind === 'ok' ? 'pb-tester-valid' : 'pb-tester-error'}
            data-testid="filter-check"
            aria-live="polite"
          >
            {check.kind === 'ok'
              ? check.filter
                ? '✓ valid filter'
                : '✓ no filter: every record and event'
              : check.kind === 'json'
                ? `JSON: ${check.message}`
                : `BAD_FILTER: ${check.message}`}
          </span>
        </JsonField>

        <fieldset className="pb-tester-since">
          <legend className="pb-label">Resume from (since) — optional</legend>
          <input
            className="pb-input pb-mono"
            value={epoch}
            onChange={(e) => setEpoch(e.target.value)}
            placeholder="epoch"
            aria-label="since epoch"
            spellCheck={false}
          />
          <input
            className="pb-input pb-mono pb-tester-since__seq"
            value={seq}
            onChange={(e) => setSeq(e.target.value)}
            placeholder="seq"
            aria-label="since seq"
            inputMode="numeric"
          />
          <button
            type="button"
            className="pb-button"
            disabled={!position}
            onClick={() => {
              if (!position) return;
              setEpoch(position.epoch);
              setSeq(String(position.seq));
            }}
            title="Fill in the channel's last seen epoch and seq"
          >
            Last seen
          </button>
          {sinceError && <span className="pb-tester-error pb-tester-since__error">{sinceError}</span>}
        </fieldset>

        <label className="pb-tester-check">
          <input type="checkbox" checked={presence} onChange={(e) => setPresence(e.target.checked)} data-testid="subscribe-presence" />
          Follow presence (<code>presence: true</code>: who is watching, then joins and leaves)
        </label>

        <label className="pb-tester-check">
          <input type="checkbox" checked={skipCheck} onChange={(e) => setSkipCheck(e.target.checked)} />
          Send invalid filters anyway (to see the server&apos;s <code>BAD_FILTER</code>)
        </label>

        <div className="pb-tester-buttons">
          <button type="submit" className="pb-button pb-button--primary" disabled={!canSend} data-testid="subscribe">
            {subscribed ? 'Subscribe again' : 'Subscribe'}
          </button>
          <button
            type="button"
            className="pb-button"
            disabled={!channelOk}
            onClick={async () => setResult(await model.resync(channel.trim()))}
          >
            Resync
          </button>
          <button
            type="button"
            className="pb-button"
            disabled={!channelOk}
            onClick={async () => setResult(await model.unsubscribeChannel(channel.trim()))}
          >
            Unsubscribe
          </button>
          <span className="pb-tester-hint">
            <Kbd>Ctrl</Kbd>+<Kbd>Enter</Kbd> in the filter subscribes
          </span>
        </div>
        <ResultLine result={result} testId="subscribe-result" />
      </form>
      <datalist id="tester-channels">
        {[...new Set([...CHANNEL_SUGGESTIONS, ...view.channels.map((c) => c.channel)])].map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </Panel>
  );
}
