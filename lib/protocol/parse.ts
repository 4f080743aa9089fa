/**
 * Where bytes become protocol messages. Every client frame passes through `parseClientFrame`
 * before anything else sees it; what comes out is a typed `ClientMessage` or a precise
 * rejection saying which `ref` (if any) the error reply may carry.
 */
import { z } from 'zod';
import { ErrorCode } from './codes';
import { CHANNEL_NAME } from './channel';
import { describeIssue, validateFilter } from './filter';
import { checkJson, JSON_LIMITS, type JsonCheck } from './json-bounds';
import { PRIORITIES, type ClientMessage, type PublishInput, type Ref } from './messages';
import { MAX_INTERVAL_MS, VIEW_NAME } from './view';

const MAX_REF_LENGTH = 64;
/** Longest record id (docs/protocol.md §4); sources skip upstream rows with longer ids. */
export const MAX_ID_LENGTH = 128;

const channel = z.string().regex(CHANNEL_NAME, `must match ${CHANNEL_NAME.source}`);
const view = z.string().regex(VIEW_NAME, `must match ${VIEW_NAME.source}`);
/** The lower bound is the server's batch interval, checked in `parseClientMessage`. */
const intervalMs = z.number().int().min(1).max(MAX_INTERVAL_MS);
const recordId = z.string().min(1).max(MAX_ID_LENGTH);

const record = z.looseObject({ id: recordId });
const event = z.object({
  type: z.string().min(1).max(128),
  priority: z.enum(PRIORITIES).optional(),
  data: z.unknown().optional(),
});

/**
 * `series` on `subscribe` (docs/protocol.md §13): `true`, or a subset of the kept fields and a
 * shorter window. Whether the names are kept and the window fits is the channel's to say,
 * checked when the subscription is made.
 */
const series = z.union([
  z.literal(true),
  z.strictObject({
    fields: z.array(z.string().min(1).max(256)).min(1).max(100).optional(),
    windowMs: z.number().int().min(1).optional(),
  }),
]);

const since = z.object({ epoch: z.string().min(1).max(128), seq: z.number().int().min(0) });

/**
 * Most upserts, most deletions and most events one publish may carry, each (docs/protocol.md
 * §4). A publish is applied in one step, atomically, and on the Redis engine in one script that
 * blocks Redis while it runs: its size must stay bounded whatever the payload limit allows.
 */
export const MAX_PUBLISH_ITEMS = 10_000;

const items = <T extends z.ZodType>(item: T, what: string) =>
  z.array(item).max(MAX_PUBLISH_ITEMS, `at most ${MAX_PUBLISH_ITEMS} ${what} per publish`);

/** Publish body, shared by the socket `publish` message and `POST /api/channels/:channel/publish`. */
export const publishBodySchema = z
  .object({
    upsert: items(record, 'upserts').optional(),
    delete: items(recordId, 'deletions').optional(),
    events: items(event, 'events').optional(),
  })
  .superRefine((body, ctx) => {
    const upserts = body.upsert?.length ?? 0;
    const deletes = body.delete?.length ?? 0;
    const events = body.events?.length ?? 0;
    if (upserts + deletes + events === 0) {
      ctx.addIssue({ code: 'custom', message: 'a publish needs at least one upsert, delete or event' });
      return;
    }
    if (upserts && deletes) {
      const deleted = new Set(body.delete);
      const both = body.upsert!.find((r) => deleted.has(r.id));
      if (both) ctx.addIssue({ code: 'custom', path: ['delete'], message: `id ${both.id} is both upserted and deleted` });
    }
  });

const schemas = {
  auth: z.object({ token: z.string().max(16_384).optional() }),
  subscribe: z.object({
    channel,
    filter: z.unknown().optional(),
    since: since.optional(),
    presence: z.boolean().optional(),
    view: view.optional(),
    intervalMs: intervalMs.optional(),
    series: series.optional(),
  }),
  unsubscribe: z.object({ channel, view: view.optional() }),
  publish: z.object({ channel }).and(publishBodySchema),
  resync: z.object({ channel, view: view.optional() }),
  ping: z.object({}),
} satisfies Record<ClientMessage['type'], z.ZodType>;

/** What a server's configuration adds to the rules of the protocol. */
export interface ParseOptions {
  /** Shortest `intervalMs` a `subscribe` may ask for: the server's batch interval (`PULSE_BATCH_MS`). */
  minIntervalMs?: number;
}

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | {
      ok: false;
      code: typeof ErrorCode.INVALID_MESSAGE | typeof ErrorCode.BAD_FILTER;
      message: string;
      /** The request's `ref` when it had a usable one, so the error can be a `reply`. */
      ref?: Ref;
      /** The `type` the frame claimed, when it was a string. */
      claimedType?: string;
    };

export function isUsableRef(value: unknown): value is Ref {
  return (
    (typeof value === 'number' && Number.isSafeInteger(value)) ||
    (typeof value === 'string' && value.length <= MAX_REF_LENGTH)
  );
}

function invalid(message: string, ref?: Ref, claimedType?: string): ParseResult {
  return { ok: false, code: ErrorCode.INVALID_MESSAGE, message, ref, claimedType };
}

/**
 * Parses one text frame from a client. Never throws. The whole frame is held to `JSON_LIMITS`
 * before anything looks inside it; a frame past them is still answered with a `reply` when
 * its top level carries a usable `ref`.
 */
export function parseClientFrame(text: string, options: ParseOptions = {}): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return invalid('frame is not valid JSON');
  }
  const bounded = checkJson(raw, JSON_LIMITS, 'frame');
  if (!bounded.ok) {
    const top = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
    const ref = isUsableRef(top.ref) ? top.ref : undefined;
    return invalid(bounded.message, ref, typeof top.type === 'string' ? top.type : undefined);
  }
  return parseClientMessage(raw, options);
}

/**
 * Holds a publish body that no bounded parse has seen (one built by server code: the
 * simulator, a source) to the same `JSON_LIMITS` as a decoded one, counted the way an HTTP
 * publish body is: the body is level 1, a record level 3. Never throws.
 */
export function checkPublishJson(input: PublishInput): JsonCheck {
  // Only the members that are there: server code may pass `undefined` for an absent part, or
  // for an event without data, which a JSON body could not hold but which means the same.
  const body: Record<string, unknown> = {};
  if (input.upsert !== undefined) body.upsert = input.upsert;
  if (input.delete !== undefined) body.delete = input.delete;
  if (input.events !== undefined) {
    body.events = input.events.map(({ type, priority, data }) => ({
      type,
      ...(priority === undefined ? {} : { priority }),
      ...(data === undefined ? {} : { data }),
    }));
  }
  return checkJson(body, JSON_LIMITS, 'publish');
}

/** Validates an already-decoded client message. Never throws. */
export function parseClientMessage(raw: unknown, { minIntervalMs = 1 }: ParseOptions = {}): ParseResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return invalid('a message must be a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  const claimedType = typeof obj.type === 'string' ? obj.type : undefined;
  if ('ref' in obj && !isUsableRef(obj.ref)) {
    return invalid('ref must be an integer or a string of at most 64 characters', undefined, claimedType);
  }
  const ref = obj.ref as Ref | undefined;
  if (claimedType === undefined) return invalid('type must be a string', ref);
  if (!Object.hasOwn(schemas, claimedType)) return invalid(`unknown message type "${claimedType}"`, ref, claimedType);

  const type = claimedType as ClientMessage['type'];
  const parsed = schemas[type].safeParse(obj);
  if (!parsed.success) return invalid(`${type}: ${describeIssue(parsed.error.issues[0])}`, ref, type);

  const message = { ...(parsed.data as object), type, ...(ref === undefined ? {} : { ref }) } as ClientMessage;
  if (message.type === 'subscribe') {
    if (message.intervalMs !== undefined && message.intervalMs < minIntervalMs) {
      return invalid(`subscribe: intervalMs: must be at least ${minIntervalMs} (the server's batch interval)`, ref, type);
    }
    const filter = validateFilter(message.filter);
    if (!filter.ok) return { ok: false, code: ErrorCode.BAD_FILTER, message: `filter ${filter.message}`, ref, claimedType: type };
    message.filter = filter.filter;
  }
  return { ok: true, message };
}
