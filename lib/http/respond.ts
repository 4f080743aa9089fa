/** Small helpers for the JSON HTTP API: responses, errors, bounded bodies. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, HTTP_STATUS } from '../protocol';
import { HubError } from '../hub/errors';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

export function sendError(res: ServerResponse, code: ErrorCode, message: string, status = HTTP_STATUS[code]): void {
  sendJson(res, status, { error: { code, message } });
}

/**
 * Reads a JSON body of at most `limit` bytes. A larger body is refused with a 413 `HubError`
 * as soon as it is known to be too large, without buffering it whole.
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
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HubError(ErrorCode.INVALID_MESSAGE, 'body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
