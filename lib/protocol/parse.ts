/**
 * Where bytes become protocol messages. Every client frame passes through `parseClientFrame`
 * before anything else sees it; what comes out is a typed `ClientMessage` or a precise
 * rejection saying which `ref` (if any) the error reply may carry.
 */
import { z } from 'zod';
import { ErrorCode } from './codes';
import { CHANNEL_NAME } from './channel';
import { describeIssue, validateFilter } from './filter';
import { PRIORITIES, type ClientMessage, type Ref } from './messages';

const MAX_REF_LENGTH = 64;
const MAX_ID_LENGTH = 128;

const channel = z.string().regex(CHANNEL_NAME, `must match ${CHANNEL_NAME.source}`);
const recordId = z.string().min(1).max(MAX_ID_LENGTH);

const record = z.looseObject({ id: recordId });
const event = z.object({
  type: z.string().min(1).max(128),
  priority: z.enum(PRIORITIES).optional(),
  data: z.unknown().optional(),
});

const since = z.object({ epoch: z.string().min(1).max(128), seq: z.number().int().min(0) });

/** Publish body, shared by the socket `publish` message and `POST /api/channels/:channel/publish`. */
export const publishBodySchema = z
  .object({
    upsert: z.array(record).optional(),
    delete: z.array(recordId).optional(),
    events: z.array(event).optional(),
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
  subscribe: z.object({ channel, filter: z.unknown().optional(), since: since.optional(), presence: z.boolean().optional() }),
  unsubscribe: z.object({ channel }),
  publish: z.object({ channel }).and(publishBodySchema),
  resync: z.object({ channel }),
  ping: z.object({}),
} satisfies Record<ClientMessage['type'], z.ZodType>;

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

/** Parses one text frame from a client. Never throws. */
export function parseClientFrame(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return invalid('frame is not valid JSON');
  }
  return parseClientMessage(raw);
}

/** Validates an already-decoded client message. Never throws. */
export function parseClientMessage(raw: unknown): ParseResult {
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
    const filter = validateFilter(message.filter);
    if (!filter.ok) return { ok: false, code: ErrorCode.BAD_FILTER, message: `filter ${filter.message}`, ref, claimedType: type };
    message.filter = filter.filter;
  }
  return { ok: true, message };
}
