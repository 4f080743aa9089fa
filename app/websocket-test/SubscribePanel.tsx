'use client';
/**
 * Subscribe (view, pace, filter editor, optional `since`), resync and unsubscribe by channel and
 * view. Several views of one channel are several subscriptions (docs/protocol.md §12): give each
 * its own view name. Every field is checked with the protocol's own rules before anything is
 * sent, unless the tester asks to let the server judge it.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { isChannelName } from '@/lib/protocol/channel';
import { validateFilter, type Filter } from '@/lib/protocol/filter';
import type { StreamPosition } from '@/lib/protocol/messages';
import { isViewName, MAX_INTERVAL_MS, VIEW_NAME } from '@/lib/protocol/view';
import { subscriptionKey } from './frame-info';
import type { ActionResult, TesterModel, TesterView } from './tester-model';
import { ChannelField, JsonField, TextField, type JsonSample } from './fields';
import { Kbd, Panel, ResultLine } from './ui';

export const FILTER_EXAMPLES: readonly JsonSample[] = [
  { label: 'No filter', value: {} },
  { label: 'ids', value: { ids: ['acme-billing', 'acme-sales'] } },
  { label: 'where: equality', value: { where: { org: 'acme', department: 'support' } } },
  { label: 'where: operators', value: { where: { utilization: { gte: 0.8 }, org: { in: ['acme', 'globex'] } } } },
  { label: 'bounds: Europe', value: { bounds: { north: 60, south: 35, east: 30, west: -10 }, fields: ['lat', 'lon', 'status'] } },
  { label: 'bounds: across the antimeridian', value: { bounds: { north: 30, south: -50, east: -170, west: 170 } } },
  { label: 'events: type and priority', value: { eventTypes: ['alert.sla', 'alert.node*'], minPriority: 'high' } },
  { label: 'or: offline or low battery (fleet)', value: { or: [{ status: 'offline' }, { battery: { lt: 20 } }] } },
  {
    label: 'or with where: acme, and at risk or busy (kpi)',
    value: { where: { org: 'acme' }, or: [{ slaRisk: { gte: 0.5 } }, { utilization: { gte: 0.9 } }] },
  },
  { label: 'nin: outside London and New York (fleet)', value: { where: { metro: { nin: ['london', 'new-york'] } } } },
  { label: 'nin: not offline, fields for a map (fleet)', value: { where: { status: { nin: ['offline'] } }, fields: ['lat', 'lon', 'status'] } },
  { label: 'Invalid: unknown key', value: { colour: 'red' } },
  { label: 'Invalid: latitude out of range', value: { bounds: { north: 95, south: 0, east: 10, west: 0 } } },
  { label: 'Invalid: empty or', value: { or: [] } },
  { label: 'Invalid: nin without a list', value: { where: { status: { nin: 'offline' } } } },
];

/** Example view names, offered while typing one. */
export const VIEW_SUGGESTIONS = ['map', 'table', 'offline', 'chart', 'low-battery'];

export const CHANNEL_SUGGESTIONS = ['kpi', 'backlog', 'fleet', 'alerts', 'sandbox'];

/** A request from elsewhere on the page to load a subscription into the form. */
export interface SubscribeDraft {
  channel: string;
  view?: string;
  intervalMs?: number;
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

type FieldCheck<T> = { ok: true; value: T | undefined } | { ok: false; message: string; raw: unknown };

/** The view name as typed: empty is the default view. */
export function checkView(text: string): FieldCheck<string> {
  const name = text.trim();
  if (!name) return { ok: true, value: undefined };
  return isViewName(name) ? { ok: true, value: name } : { ok: false, message: `a view name matches ${VIEW_NAME.source}`, raw: name };
}

/** The pace as typed: empty is every batch. The lower bound is the server's batch interval, which only it knows. */
export function checkInterval(text: string): FieldCheck<number> {
  const trimmed = text.trim();
  if (!trimmed) return { ok: true, value: undefined };
  const value = /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : trimmed;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_INTERVAL_MS) return { ok: true, value };
  return { ok: false, message: `whole ms, from the server's batch interval to ${MAX_INTERVAL_MS}`, raw: value };
}

/** The first of `v2`, `v3`, … that `channel` has no subscription with. */
function freeViewName(channel: string, taken: ReadonlySet<string>): string {
  for (let n = 2; ; n++) if (!taken.has(subscriptionKey(channel, `v${n}`))) return `v${n}`;
}

export function SubscribePanel({ model, view, draft }: { model: TesterModel; view: TesterView; draft: SubscribeDraft | null }) {
  const [channel, setChannel] = useState('kpi');
  const [viewText, setViewText] = useState('');
  const [intervalText, setIntervalText] = useState('');
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
    setViewText(draft.view ?? '');
    setIntervalText(draft.intervalMs === undefined ? '' : String(draft.intervalMs));
    setFilterText(draft.filterText);
    setEpoch(draft.since?.epoch ?? '');
    setSeq(draft.since ? String(draft.since.seq) : '');
  }

  const check = useMemo(() => checkFilter(filterText), [filterText]);
  const viewCheck = checkView(viewText);
  const intervalCheck = checkInterval(intervalText);
  const channelOk = isChannelName(channel.trim());
  const sinceError = (() => {
    if (!epoch.trim() && !seq.trim()) return null;
    if (!epoch.trim() || !seq.trim()) return 'give both epoch and seq, or neither';
    if (!/^\d+$/.test(seq.trim())) return 'seq must be a whole number';
    return null;
  })();
  const since: StreamPosition | undefined = epoch.trim() && seq.trim() && !sinceError ? { epoch: epoch.trim(), seq: Number(seq.trim()) } : undefined;
  const fieldsOk = (check.kind === 'ok' || (skipCheck && check.kind === 'invalid')) && (viewCheck.ok || skipCheck) && (intervalCheck.ok || skipCheck);
  const canSend = channelOk && !sinceError && fieldsOk;
  // the view as it goes out (an invalid one only when the server is to judge it)
  const viewName = viewCheck.ok ? viewCheck.value : (viewCheck.raw as string);
  const key = subscriptionKey(channel.trim(), viewName);
  const taken = new Set(view.subscriptions.map((s) => s.key));
  const position = view.subscriptions.find((s) => s.key === key)?.position ?? view.channels.find((c) => c.channel === channel.trim());

  async function subscribe(event: FormEvent) {
    event.preventDefault();
    if (!canSend) return;
    const filter = check.kind === 'ok' ? check.filter : (check.raw as Filter);
    const intervalMs = intervalCheck.ok ? intervalCheck.value : (intervalCheck.raw as number);
    setResult(
      await model.subscribeChannel({
        channel: channel.trim(),
        ...(viewName !== undefined ? { view: viewName } : {}),
        ...(filter ? { filter } : {}),
        ...(intervalMs !== undefined ? { intervalMs } : {}),
        ...(since ? { since } : {}),
        presence,
      }),
    );
  }

  return (
    <Panel title="Subscribe" id="tester-subscribe">
      <form className="pb-tester-form" onSubmit={subscribe} aria-label="Subscribe">
        <ChannelField value={channel} onChange={setChannel} invalid={!channelOk} name="channel" testId="subscribe-channel">
          {!channelOk && <span className="pb-tester-error">A channel name matches ^[A-Za-z0-9_.:-]{'{'}1,128{'}'}$</span>}
        </ChannelField>

        <div className="pb-tester-view-row">
          <TextField
            label="View"
            value={viewText}
            onChange={setViewText}
            placeholder="default view"
            list="tester-views"
            name="view"
            invalid={!viewCheck.ok}
            testId="subscribe-view"
            action={
              <button
                type="button"
                className="pb-button pb-button--chip"
                onClick={() => setViewText(freeViewName(channel.trim(), taken))}
                title="A view name this channel has no subscription with yet: subscribing adds a view beside the others"
              >
                New
              </button>
            }
          />
          <TextField
            label="Pace (intervalMs)"
            value={intervalText}
            onChange={setIntervalText}
            placeholder="every batch"
            inputMode="numeric"
            name="intervalMs"
            invalid={!intervalCheck.ok}
            testId="subscribe-interval"
          />
          {!viewCheck.ok && <span className="pb-tester-error pb-tester-view-row__error">View: {viewCheck.message}</span>}
          {!intervalCheck.ok && <span className="pb-tester-error pb-tester-view-row__error">Pace: {intervalCheck.message}</span>}
          <span className="pb-tester-help pb-tester-view-row__help">
            Same channel and view: replaces that subscription. Another view: a subscription beside it, with its own filter, pace
            and position.
          </span>
        </div>

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
            title="Fill in the last epoch and seq seen for this channel and view"
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
          Send invalid values anyway (to see the server&apos;s <code>BAD_FILTER</code> or <code>INVALID_MESSAGE</code>)
        </label>

        <div className="pb-tester-buttons">
          <button type="submit" className="pb-button pb-button--primary" disabled={!canSend} data-testid="subscribe">
            {taken.has(key) ? 'Subscribe again' : 'Subscribe'}
          </button>
          <button
            type="button"
            className="pb-button"
            disabled={!channelOk}
            onClick={async () => setResult(await model.resync(channel.trim(), viewName))}
          >
            Resync
          </button>
          <button
            type="button"
            className="pb-button"
            disabled={!channelOk}
            onClick={async () => setResult(await model.unsubscribeChannel(channel.trim(), viewName))}
          >
            Unsubscribe
          </button>
          <span className="pb-tester-hint">
            <Kbd>Ctrl</Kbd>+<Kbd>Enter</Kbd> in the filter subscribes
          </span>
        </div>
        <ResultLine result={result} testId="subscribe-result" />
      </form>
      <datalist id="tester-views">
        {[...new Set([...view.subscriptions.flatMap((s) => (s.view === undefined ? [] : [s.view])), ...VIEW_SUGGESTIONS])].map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
      <datalist id="tester-channels">
        {[...new Set([...CHANNEL_SUGGESTIONS, ...view.channels.map((c) => c.channel)])].map((name) => (
          <option key={name} value={name} />
        ))}
      </datalist>
    </Panel>
  );
}
