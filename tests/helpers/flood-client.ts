/**
 * A client that floods the hub as fast as its socket drains, in its own process so its CPU
 * does not slow the test's own clients. Run as
 *
 *   node --import tsx tests/helpers/flood-client.ts <wsUrl> <seconds>
 *
 * It authenticates, then sends a mix of valid pings, bad JSON and invalid requests until the
 * server closes it or the time is up, reading every answer. At the end it prints one JSON line:
 * frames sent, answers by error code, the close code and when the first refusal and the close came.
 */
import WebSocket from 'ws';

const [url, seconds = '12'] = process.argv.slice(2);
const FRAMES = [
  (ref: number) => JSON.stringify({ type: 'ping', ref }),
  () => 'this is not json',
  (ref: number) => JSON.stringify({ type: 'subscribe', ref, channel: 'not a channel!' }),
  () => '[1,2,3]',
  (ref: number) => JSON.stringify({ type: 'nonsense', ref }),
];

const socket = new WebSocket(url);
const answers: Record<string, number> = {};
let sent = 0;
let started = 0;
let firstRefusalAt: number | null = null;
let flooding = false;

function finish(code: number | null): void {
  const now = Date.now();
  process.stdout.write(
    `${JSON.stringify({ sent, answers, closeCode: code, firstRefusalMs: firstRefusalAt === null ? null : firstRefusalAt - started, closedMs: now - started })}\n`,
  );
  process.exit(0);
}

function flood(): void {
  if (socket.readyState !== WebSocket.OPEN) return;
  if (Date.now() - started > Number(seconds) * 1000) {
    socket.close(1000);
    return;
  }
  // Keep the client's own buffer modest; the point is the server's work, not local memory.
  while (socket.bufferedAmount < 256 * 1024) {
    socket.send(FRAMES[sent % FRAMES.length](sent));
    sent++;
    if (sent % 500 === 0) break;
  }
  setImmediate(flood);
}

socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', ref: 'auth' })));
socket.on('message', (data) => {
  const message = JSON.parse(data.toString()) as { type: string; code?: string; ok?: boolean; error?: { code: string } };
  const code = message.type === 'welcome' ? 'welcome' : message.type === 'error' ? message.code! : message.ok ? 'ok' : message.error?.code ?? message.type;
  answers[code] = (answers[code] ?? 0) + 1;
  if (code === 'RATE_LIMITED' && firstRefusalAt === null) firstRefusalAt = Date.now();
  if (message.type === 'welcome' && !flooding) {
    flooding = true;
    started = Date.now();
    flood();
  }
});
socket.on('close', (code) => finish(code));
socket.on('error', () => undefined);
