/** Small helpers for the JSON HTTP API: responses, errors, bounded bodies, compression. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import { ErrorCode, HTTP_STATUS, JSON_LIMITS, parseJson } from '../protocol';
import { HubError } from '../hub/errors';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonBytes(res, status, JSON.stringify(body));
}

/**
 * Sends JSON already serialized (a cached snapshot is written as the same bytes to every
 * reader). `encoding` names the coding `payload` is already compressed with (see `negotiateCoding`).
 */
export function sendJsonBytes(res: ServerResponse, status: number, payload: string | Buffer, encoding?: ContentCoding): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    // A JSON answer is never to be sniffed and run as HTML or script.
    'x-content-type-options': 'nosniff',
    ...(encoding ? { 'content-encoding': encoding } : {}),
  });
  res.end(payload);
}

/** The codings the HTTP API compresses large answers with (docs/protocol.md §10, "Compression"). */
export type ContentCoding = 'br' | 'gzip';

/**
 * Answers smaller than this go out plain: compressing a few hundred bytes saves less than it
 * costs, and a small answer fits in one packet anyway.
 */
export const COMPRESS_MIN_BYTES = 1024;

/**
 * The coding to answer with, from a request's `Accept-Encoding` (RFC 9110 §12.5.3): the
 * acceptable one (q > 0) with the highest weight, Brotli before gzip at equal weights, `*`
 * standing for any coding not named; undefined for a plain answer.
 *
 * @example
 * negotiateCoding('gzip, deflate, br')  // → 'br'
 * negotiateCoding('gzip;q=1, br;q=0.5') // → 'gzip'
 * negotiateCoding(undefined)            // → undefined
 */
export function negotiateCoding(header: string | string[] | undefined): ContentCoding | undefined {
  if (header === undefined) return undefined;
  const weights = new Map<string, number>();
  for (const part of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [name, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!name) continue;
    let q = 1;
    for (const param of params) if (param.startsWith('q=')) q = Number(param.slice(2));
    weights.set(name === 'x-gzip' ? 'gzip' : name, Number.isFinite(q) ? q : 0);
  }
  const weight = (coding: ContentCoding) => weights.get(coding) ?? weights.get('*') ?? 0;
  const br = weight('br');
  const gz = weight('gzip');
  if (br > 0 && br >= gz) return 'br';
  return gz > 0 ? 'gzip' : undefined;
}

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/**
 * `body` compressed with `coding`, off the event loop (zlib's thread pool), at the fast end of
 * each coding's levels: answers are compressed as they are asked for, and a higher level costs
 * several times the CPU for a few percent. On 215 KB of series JSON (docs/benchmarks.md,
 * "Series"): Brotli quality 1 gives 33 KB in under a millisecond, quality 2 30 KB in about
 * 1.5 ms, where its default (11) takes far longer and 5 takes 5.5 ms for 27 KB; gzip level 1
 * gives 42 KB in about 2 ms where level 6 takes 9 ms for 30 KB. Quality 1 keeps a dashboard's
 * snapshot with series under 5 ms of server time, well under 60 KB.
 */
export function compress(body: Buffer, coding: ContentCoding): Promise<Buffer> {
  if (coding === 'gzip') return gzipAsync(body, { level: 1 });
  return brotliAsync(body, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 1, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
}

/**
 * Sends serialized JSON compressed as the request accepts when it is at least
 * `COMPRESS_MIN_BYTES`, plain otherwise; always with `Vary: Accept-Encoding`, since the bytes
 * depend on it. `compressed` supplies the compressed bytes when the caller keeps them (the
 * snapshot cache); `compress` otherwise.
 *
 * @example
 * await sendJsonNegotiated(req, res, 200, Buffer.from(JSON.stringify(body)));
 */
export async function sendJsonNegotiated(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: Buffer,
  compressed: (coding: ContentCoding) => Promise<Buffer> = (coding) => compress(body, coding),
): Promise<void> {
  res.setHeader('vary', 'Accept-Encoding');
  const coding = body.length >= COMPRESS_MIN_BYTES ? negotiateCoding(req.headers['accept-encoding']) : undefined;
  if (!coding) return sendJsonBytes(res, status, body);
  sendJsonBytes(res, status, await compressed(coding), coding);
}

export function sendError(res: ServerResponse, code: ErrorCode, message: string, status = HTTP_STATUS[code]): void {
  sendJson(res, status, { error: { code, message } });
}

/**
 * Reads a JSON body of at most `limit` bytes. A larger body is refused with a 413 `HubError`
 * as soon as it is known to be too large, without buffering it whole; one that is not JSON,
 * or past `JSON_LIMITS` (depth, values, string length, finite numbers), with a 400 naming why.
 */
export function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new HubError(ErrorCode.PAYLOAD_TOO_LARGE, `body larger than ${limit} bytes`);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return reject(tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      const body = parseJson(Buffer.concat(chunks).toString('utf8'), JSON_LIMITS, 'body');
      if (body.ok) resolve(body.value);
      else reject(new HubError(ErrorCode.INVALID_MESSAGE, body.message));
    });
    req.on('error', reject);
  });
}
