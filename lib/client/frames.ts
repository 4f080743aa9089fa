/**
 * Where server frames become typed messages on the client side. The server is trusted to speak
 * the protocol, so the checks are structural: just enough that nothing downstream trips over a
 * missing field. A frame that fails them is reported and dropped, never thrown.
 */
import type {
  ChannelEvent,
  DeltaMessage,
  ErrorMessage,
  PresenceDiffMessage,
  PresenceMessage,
  PresenceUser,
  ReplyMessage,
  ServerMessage,
  SnapshotMessage,
  WelcomeMessage,
} from '../protocol/messages';
import type { ErrorCode } from '../protocol/codes';

type Obj = Record<string, unknown>;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRef = (v: unknown): v is number | string => typeof v === 'number' || typeof v === 'string';
const isSeq = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const optionalArray = (v: unknown): boolean => v === undefined || Array.isArray(v);
/** A message about a named view carries its name; the default view's carry none. */
const optionalView = (v: unknown): boolean => v === undefined || typeof v === 'string';
const isRecordLike = (v: unknown): boolean => isObject(v) && typeof v.id === 'string';
const isEvent = (v: unknown): v is ChannelEvent => isObject(v) && isSeq(v.seq) && typeof v.type === 'string';

/** The text frame decoded into a server message, or `null` when it is not one. */
export function decodeServerFrame(data: unknown): ServerMessage | null {
  if (typeof data !== 'string') return null;
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return null;
  }
  return decodeServerMessage(raw);
}

export function decodeServerMessage(raw: unknown): ServerMessage | null {
  if (!isObject(raw) || typeof raw.type !== 'string') return null;
  switch (raw.type) {
    case 'welcome':
      return decodeWelcome(raw);
    case 'reply':
      return decodeReply(raw);
    case 'error':
      return typeof raw.code === 'string'
        ? ({
            type: 'error',
            code: raw.code as ErrorCode,
            message: String(raw.message ?? ''),
            ...(typeof raw.channel === 'string' ? { channel: raw.channel } : {}),
            ...(typeof raw.channel === 'string' && typeof raw.view === 'string' ? { view: raw.view } : {}),
          } satisfies ErrorMessage)
        : null;
    case 'snapshot':
      return decodeSnapshot(raw);
    case 'delta':
      return decodeDelta(raw);
    case 'presence':
      return typeof raw.channel === 'string' && optionalView(raw.view) && isSeq(raw.count) && Array.isArray(raw.users) && raw.users.every(isPresenceUser) && typeof raw.truncated === 'boolean'
        ? (raw as unknown as PresenceMessage)
        : null;
    case 'presence_diff':
      return typeof raw.channel === 'string' && optionalView(raw.view) && isSeq(raw.count) && Array.isArray(raw.joins) && raw.joins.every(isPresenceUser) && Array.isArray(raw.leaves) && raw.leaves.every((u) => typeof u === 'string')
        ? (raw as unknown as PresenceDiffMessage)
        : null;
    default:
      return null;
  }
}

const isPresenceUser = (v: unknown): v is PresenceUser => isObject(v) && typeof v.user === 'string' && isSeq(v.connections) && typeof v.joinedAt === 'number';

function decodeWelcome(raw: Obj): WelcomeMessage | null {
  if (raw.ref !== undefined && !isRef(raw.ref)) return null;
  if (typeof raw.heartbeatMs !== 'number' || !(raw.heartbeatMs > 0)) return null;
  if (raw.expiresAt !== undefined && raw.expiresAt !== null && typeof raw.expiresAt !== 'number') return null;
  const welcome: WelcomeMessage = { ...(raw as unknown as WelcomeMessage), expiresAt: (raw.expiresAt as number | null | undefined) ?? null };
  // `publish` only informs the page (the hub decides every publish): a malformed one is dropped, not fatal.
  if (raw.publish !== undefined && !(Array.isArray(raw.publish) && raw.publish.every((p) => typeof p === 'string'))) delete welcome.publish;
  return welcome;
}

function decodeReply(raw: Obj): ReplyMessage | null {
  if (!isRef(raw.ref) || typeof raw.ok !== 'boolean') return null;
  if (!raw.ok && !(isObject(raw.error) && typeof raw.error.code === 'string')) return null;
  return raw as unknown as ReplyMessage;
}

function decodeSnapshot(raw: Obj): SnapshotMessage | null {
  if (typeof raw.channel !== 'string' || !optionalView(raw.view) || typeof raw.epoch !== 'string' || !isSeq(raw.seq)) return null;
  if (!Array.isArray(raw.records) || !raw.records.every(isRecordLike)) return null;
  if (!optionalArray(raw.events) || !((raw.events as unknown[] | undefined) ?? []).every(isEvent)) return null;
  return { ...(raw as unknown as SnapshotMessage), events: (raw.events as ChannelEvent[] | undefined) ?? [], gap: raw.gap === true };
}

function decodeDelta(raw: Obj): DeltaMessage | null {
  if (typeof raw.channel !== 'string' || !optionalView(raw.view) || typeof raw.epoch !== 'string') return null;
  if (!isSeq(raw.seq) || !isSeq(raw.prevSeq)) return null;
  if (!optionalArray(raw.upsert) || !((raw.upsert as unknown[] | undefined) ?? []).every(isRecordLike)) return null;
  if (!optionalArray(raw.delete) || !((raw.delete as unknown[] | undefined) ?? []).every((id) => typeof id === 'string')) return null;
  if (!optionalArray(raw.events) || !((raw.events as unknown[] | undefined) ?? []).every(isEvent)) return null;
  return raw as unknown as DeltaMessage;
}
