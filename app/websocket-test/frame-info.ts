/**
 * What the tester's frame log shows about one frame: its type, a one-line summary, its size.
 * Pure functions over the frame text, so the log never depends on what the client accepted.
 */

export type Direction = 'in' | 'out';

/** What an outgoing request was, so the reply to its `ref` can say what it answers. */
export interface SentRequest {
  type: string;
  channel?: string;
  view?: string;
}

/** One key per (channel, view) pair: a subscription (docs/protocol.md §12). */
export function subscriptionKey(channel: string, view: string | undefined): string {
  return view === undefined ? channel : `${channel}\u0000${view}`;
}

/** `fleet`, or `fleet [map]` for a named view: how the log names a subscription. */
export function subscriptionLabel(channel: string, view: string | undefined): string {
  return view === undefined ? channel : `${channel} [${view}]`;
}

export interface FrameInfo {
  /** The frame's `type`, or `(invalid)` when it is not a JSON object with a string `type`. */
  type: string;
  /** The `ref` it carries, if any. */
  ref?: number | string;
  channel?: string;
  /** The view it names, if any (absent: a channel's default view, or no channel at all). */
  view?: string;
  summary: string;
  /** A refused request, an `error` frame or an unreadable frame. */
  failure: boolean;
  /** The parsed body, or undefined when the text is not JSON. */
  body: unknown;
}

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (Array.isArray(v) ? v.length : 0);
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

const encoder = typeof TextEncoder === 'undefined' ? null : new TextEncoder();

/** Size of the frame on the wire (UTF-8 bytes of the text). */
export function byteLength(text: string): number {
  if (encoder) return encoder.encode(text).length;
  return text.length;
}

/** Shortens `text` to `max` characters with an ellipsis. */
export function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Describes one frame. `sent` maps the `ref`s of requests sent so far to what they were, so
 * a reply can name its request.
 */
export function describeFrame(direction: Direction, data: string, sent?: ReadonlyMap<string, SentRequest>): FrameInfo {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return { type: '(invalid)', summary: clip(data), failure: true, body: undefined };
  }
  if (!isObject(body) || typeof body.type !== 'string') {
    return { type: '(invalid)', summary: clip(data), failure: true, body };
  }
  const ref = typeof body.ref === 'number' || typeof body.ref === 'string' ? body.ref : undefined;
  const channel = typeof body.channel === 'string' ? body.channel : undefined;
  const view = channel !== undefined && typeof body.view === 'string' ? body.view : undefined;
  const base = { type: body.type, ref, channel, ...(view !== undefined ? { view } : {}), body };
  const summary = direction === 'out' ? describeRequest(body) : describeServerMessage(body, ref === undefined ? undefined : sent?.get(String(ref)));
  const failure = body.type === 'error' || (body.type === 'reply' && body.ok === false);
  return { ...base, summary, failure };
}

function describeRequest(m: Obj): string {
  const channel = typeof m.channel === 'string' ? m.channel : '';
  switch (m.type) {
    case 'auth':
      return typeof m.token === 'string' ? `token ${clip(m.token, 18)}` : 'anonymous';
    case 'subscribe': {
      const parts = [channel];
      if (m.intervalMs !== undefined) parts.push(`every ${String(m.intervalMs)} ms`);
      if (isObject(m.filter) && Object.keys(m.filter).length > 0) parts.push(`filter ${clip(JSON.stringify(m.filter), 60)}`);
      if (isObject(m.since)) parts.push(`since ${String(m.since.epoch)}:${String(m.since.seq)}`);
      if (m.presence === true) parts.push('presence');
      return parts.join(' · ');
    }
    case 'publish': {
      const parts = [channel];
      if (m.upsert !== undefined) parts.push(plural(count(m.upsert), 'upsert'));
      if (m.delete !== undefined) parts.push(plural(count(m.delete), 'delete'));
      if (m.events !== undefined) parts.push(plural(count(m.events), 'event'));
      return parts.join(' · ');
    }
    default:
      return channel;
  }
}

function describeServerMessage(m: Obj, request: SentRequest | undefined): string {
  switch (m.type) {
    case 'welcome':
      return `${String(m.user)}@${String(m.tenant)} · ${String(m.connectionId)} · heartbeat ${String(m.heartbeatMs)} ms`;
    case 'error':
      return `${String(m.code)}: ${String(m.message ?? '')}`;
    case 'reply': {
      // a refused request's reply names no view: say which one it was
      const target = request?.channel && (typeof m.view === 'string' ? request.channel : subscriptionLabel(request.channel, request.view));
      const what = request ? [request.type, target].filter(Boolean).join(' ') : 'request';
      if (m.ok === false) {
        const error = isObject(m.error) ? m.error : {};
        return `${what} refused · ${String(error.code)}: ${String(error.message ?? '')}`;
      }
      const fields = Object.entries(m)
        .filter(([key]) => key !== 'type' && key !== 'ref' && key !== 'ok' && key !== 'channel' && key !== 'view')
        .map(([key, value]) => `${key}: ${clip(JSON.stringify(value) ?? 'undefined', 40)}`);
      return [`${what} ok`, ...fields].join(' · ');
    }
    case 'snapshot': {
      const parts = [String(m.channel), `${String(m.epoch)}:${String(m.seq)}`, plural(count(m.records), 'record'), plural(count(m.events), 'event')];
      if (m.gap === true) parts.push('gap');
      return parts.join(' · ');
    }
    case 'delta': {
      const parts = [String(m.channel), `${String(m.prevSeq)} → ${String(m.seq)}`];
      if (count(m.upsert)) parts.push(plural(count(m.upsert), 'upsert'));
      if (count(m.delete)) parts.push(plural(count(m.delete), 'delete'));
      if (count(m.events)) parts.push(plural(count(m.events), 'event'));
      if (parts.length === 2) parts.push('empty');
      if (m.recovery === true) parts.push('recovery');
      return parts.join(' · ');
    }
    case 'presence':
      return [String(m.channel), `${String(m.count)} watching`, plural(count(m.users), 'user') + ' listed', ...(m.truncated === true ? ['truncated'] : [])].join(' · ');
    case 'presence_diff': {
      const parts = [String(m.channel), `${String(m.count)} watching`];
      if (count(m.joins)) parts.push(`+${count(m.joins)} joined`);
      if (count(m.leaves)) parts.push(`−${count(m.leaves)} left`);
      return parts.join(' · ');
    }
    default:
      return '';
  }
}

/** The body pretty-printed for the expanded log row, or the raw text when it is not JSON. */
export function prettyBody(data: string, body: unknown): string {
  if (body === undefined) return data;
  return JSON.stringify(body, null, 2);
}

/** `HH:MM:SS.mmm` in local time. */
export function formatTime(ts: number): string {
  const d = new Date(ts);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** `512 B`, `3.4 KB`, `1.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
