'use client';
/**
 * Every frame in and out, newest first: time, direction, size, type, the view it names and a
 * summary; a row opens to the pretty-printed body. The log can be narrowed to a direction, to
 * types, to one view (docs/protocol.md §12) and by text. It keeps the last `LOG_CAPACITY`
 * frames; pausing freezes what is shown while frames keep being counted.
 */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { formatInteger } from '@/components/format';
import { formatBytes, formatTime, prettyBody } from './frame-info';
import { LOG_CAPACITY, type LogEntry, type TesterModel, type TesterView } from './tester-model';
import { Kbd, Panel } from './ui';

type DirectionFilter = 'all' | 'in' | 'out';

/** The view filter: every frame, the frames of default views (a channel, no view), or one view's. */
const ALL_VIEWS = '';
const DEFAULT_VIEWS = '\u0000default';

export function matchesView(entry: Pick<LogEntry, 'channel' | 'view'>, filter: string): boolean {
  if (filter === ALL_VIEWS) return true;
  if (filter === DEFAULT_VIEWS) return entry.channel !== undefined && entry.view === undefined;
  return entry.view === filter;
}

const TYPE_ORDER = ['auth', 'welcome', 'subscribe', 'unsubscribe', 'resync', 'publish', 'ping', 'reply', 'snapshot', 'delta', 'error', '(invalid)'];

export function FrameLog({ model, view }: { model: TesterModel; view: TesterView }) {
  const [frozen, setFrozen] = useState<{ log: readonly LogEntry[]; total: number } | null>(null);
  const [types, setTypes] = useState<ReadonlySet<string>>(new Set());
  const [direction, setDirection] = useState<DirectionFilter>('all');
  const [viewFilter, setViewFilter] = useState(ALL_VIEWS);
  const [search, setSearch] = useState('');
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());

  const searchRef = useRef<HTMLInputElement>(null);

  const paused = frozen !== null;
  const log = frozen ? frozen.log : view.log;

  // The latest view for the keyboard handler, which is bound once.
  const latest = useRef(view);
  useEffect(() => {
    latest.current = view;
  });

  // `/` searches the log, `p` pauses or resumes it (not while typing in a field).
  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (event.key === '/') {
        event.preventDefault();
        searchRef.current?.focus();
      } else if (event.key === 'p' || event.key === 'P') {
        event.preventDefault();
        setFrozen((current) => (current ? null : { log: latest.current.log, total: latest.current.logTotal }));
      }
    }
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const typeCounts = useMemo(() => {
    const counts = new Map<string, number>();
    for (const entry of log) counts.set(entry.type, (counts.get(entry.type) ?? 0) + 1);
    return [...counts.entries()].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  }, [log]);

  // views named in the log and by the subscriptions, so a view can be picked before its first frame
  const views = useMemo(() => {
    const names = new Set<string>();
    for (const s of view.subscriptions) if (s.view !== undefined) names.add(s.view);
    for (const entry of log) if (entry.view !== undefined) names.add(entry.view);
    if (viewFilter !== ALL_VIEWS && viewFilter !== DEFAULT_VIEWS) names.add(viewFilter);
    return [...names].sort();
  }, [log, view.subscriptions, viewFilter]);

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    const out: LogEntry[] = [];
    for (let i = log.length - 1; i >= 0; i--) {
      const entry = log[i];
      if (direction !== 'all' && entry.direction !== direction) continue;
      if (types.size > 0 && !types.has(entry.type)) continue;
      if (!matchesView(entry, viewFilter)) continue;
      if (needle && !entry.data.toLowerCase().includes(needle) && !entry.summary.toLowerCase().includes(needle)) continue;
      out.push(entry);
    }
    return out;
  }, [log, direction, types, viewFilter, search]);

  const toggleType = (type: string) =>
    setTypes((current) => {
      const next = new Set(current);
      if (next.has(type)) next.delete(type);
      else next.add(type);
      return next;
    });

  const toggleOpen = (id: number) =>
    setOpen((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  const missed = frozen ? view.logTotal - frozen.total : 0;

  return (
    <Panel
      title="Frames"
      id="tester-frames"
      className="pb-tester-log-panel"
      flush
      actions={
        <>
          <span className="pb-tester-log-count" aria-live="off">
            {formatInteger(shown.length)} shown · {formatInteger(log.length)}/{LOG_CAPACITY} kept · {formatInteger(view.logTotal)} seen
          </span>
          <button
            type="button"
            className={paused ? 'pb-button pb-button--primary' : 'pb-button'}
            onClick={() => setFrozen(paused ? null : { log: view.log, total: view.logTotal })}
            aria-pressed={paused}
            aria-keyshortcuts="p"
            title="Pause or resume the list (P)"
            data-testid="log-pause"
          >
            {paused ? `Resume${missed > 0 ? ` (+${formatInteger(missed)})` : ''}` : 'Pause'}
          </button>
          <button
            type="button"
            className="pb-button"
            onClick={() => {
              model.clearLog();
              setFrozen(null);
              setOpen(new Set());
            }}
          >
            Clear
          </button>
        </>
      }
    >
      <div className="pb-tester-log-toolbar">
        <div className="pb-tester-segmented" role="radiogroup" aria-label="Direction">
          {(['all', 'out', 'in'] as const).map((d) => (
            <button
              key={d}
              type="button"
              role="radio"
              aria-checked={direction === d}
              className="pb-tester-segmented__item"
              onClick={() => setDirection(d)}
            >
              {d === 'all' ? 'Both' : d === 'in' ? '↓ In' : '↑ Out'}
            </button>
          ))}
        </div>
        <div className="pb-tester-type-chips" role="group" aria-label="Frame types (none selected: all)">
          {typeCounts.map(([type, n]) => (
            <button
              key={type}
              type="button"
              className="pb-button pb-button--chip"
              aria-pressed={types.has(type)}
              onClick={() => toggleType(type)}
              data-type={type}
            >
              {type} <span className="pb-tester-chip-count">{n}</span>
            </button>
          ))}
          {types.size > 0 && (
            <button type="button" className="pb-button pb-button--chip pb-tester-chip-clear" onClick={() => setTypes(new Set())}>
              All types
            </button>
          )}
        </div>
        <select
          className="pb-select pb-tester-mini-select pb-tester-log-view"
          aria-label="View"
          value={viewFilter}
          onChange={(e) => setViewFilter(e.target.value)}
          data-testid="log-view"
        >
          <option value={ALL_VIEWS}>All views</option>
          <option value={DEFAULT_VIEWS}>Default views</option>
          {views.map((name) => (
            <option key={name} value={name}>
              View {name}
            </option>
          ))}
        </select>
        <input
          className="pb-input pb-tester-log-search"
          type="search"
          placeholder="Search frames  ( / )"
          aria-label="Search frames"
          aria-keyshortcuts="/"
          ref={searchRef}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
      </div>
      {paused && (
        <p className="pb-tester-paused" role="status">
          Paused: the list is frozen{missed > 0 ? `; ${formatInteger(missed)} new frame${missed === 1 ? '' : 's'} since` : ''}. Counters keep
          counting. <Kbd>P</Kbd> resumes.
        </p>
      )}
      {shown.length === 0 ? (
        <p className="pb-tester-placeholder pb-tester-placeholder--pad">
          {log.length === 0 ? 'No frames yet. Connect to see auth and welcome.' : 'No frame matches the filters.'}
        </p>
      ) : (
        <ol className="pb-tester-log" data-testid="frame-log" aria-label="Frames, newest first">
          {shown.map((entry) => (
            <LogRow key={entry.id} entry={entry} open={open.has(entry.id)} onToggle={toggleOpen} />
          ))}
        </ol>
      )}
      <p className="pb-tester-log-foot">
        Newest first. Click a frame (or <Kbd>Enter</Kbd> on it) for its body · <Kbd>/</Kbd> search · <Kbd>P</Kbd> pause ·
        keeps the last {LOG_CAPACITY} frames
      </p>
    </Panel>
  );
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
}

function rank(type: string): number {
  const i = TYPE_ORDER.indexOf(type);
  return i < 0 ? TYPE_ORDER.length : i;
}

const LogRow = memo(function LogRow({ entry, open, onToggle }: { entry: LogEntry; open: boolean; onToggle: (id: number) => void }) {
  const classes = ['pb-tester-log__row', `pb-tester-log__row--${entry.direction}`, entry.failure && 'pb-tester-log__row--failure', open && 'pb-tester-log__row--open']
    .filter(Boolean)
    .join(' ');
  return (
    <li className={classes} data-type={entry.type} data-direction={entry.direction}>
      <button type="button" className="pb-tester-log__line" aria-expanded={open} onClick={() => onToggle(entry.id)}>
        <span className="pb-tester-log__time">{formatTime(entry.at)}</span>
        <span className="pb-tester-log__dir" aria-label={entry.direction === 'in' ? 'received' : 'sent'}>
          {entry.direction === 'in' ? '↓' : '↑'}
        </span>
        <span className={`pb-tester-type pb-tester-type--${typeTone(entry)}`}>{entry.type}</span>
        <span className="pb-tester-log__ref">{entry.ref !== undefined ? `#${entry.ref}` : ''}</span>
        <span className="pb-tester-log__summary">
          {entry.view !== undefined && (
            <span className="pb-tester-view" data-view={entry.view}>
              {entry.view}
            </span>
          )}
          {entry.summary}
        </span>
        <span className="pb-tester-log__size">{formatBytes(entry.bytes)}</span>
      </button>
      {open && <FrameBody entry={entry} />}
    </li>
  );
});

function FrameBody({ entry }: { entry: LogEntry }) {
  const text = useMemo(() => {
    try {
      return prettyBody(entry.data, JSON.parse(entry.data));
    } catch {
      return entry.data;
    }
  }, [entry.data]);
  const [copied, setCopied] = useState(false);
  return (
    <div className="pb-tester-log__body">
      <div className="pb-tester-log__body-bar">
        <span className="pb-muted">
          {entry.direction === 'in' ? 'Received' : 'Sent'} {new Date(entry.at).toISOString()} · {formatInteger(entry.bytes)} bytes
        </span>
        <button
          type="button"
          className="pb-button pb-button--chip"
          onClick={() => {
            void navigator.clipboard?.writeText(entry.data).then(() => {
              setCopied(true);
              setTimeout(() => setCopied(false), 1200);
            });
          }}
        >
          {copied ? 'Copied' : 'Copy JSON'}
        </button>
      </div>
      <pre className="pb-tester-log__pre">{text}</pre>
    </div>
  );
}

function typeTone(entry: LogEntry): string {
  if (entry.failure) return 'bad';
  switch (entry.type) {
    case 'snapshot':
    case 'delta':
      return 'data';
    case 'reply':
    case 'welcome':
      return 'ok';
    case 'auth':
    case 'subscribe':
    case 'unsubscribe':
    case 'resync':
    case 'publish':
    case 'ping':
      return 'req';
    default:
      return 'other';
  }
}
