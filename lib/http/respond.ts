/** Small helpers for the JSON HTTP API: responses, errors, bounded bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, HTTP_STATUS, JSON_LIMITS, parseJson } from '../protocol';
import { HubError } from '../hub/errors';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonBytes(res, status, JSON.stringify(body));
}

/** Sends JSON already serialized (a cached snapshot is written as the same bytes to every reader). */
export function sendJsonBytes(res: ServerResponse, status: number, payload: string | Buffer): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    // A JSON answer is never to be sniffed and run as HTML or script.
    'x-content-type-options': 'nosniff',
  });
  res.end(payload);
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
