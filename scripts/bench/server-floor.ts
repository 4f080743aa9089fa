/**
 * The raw `ws` floor: the least a server can do to deliver the same bytes. Every batch
 * interval it serializes one frame holding that interval's updates, in exactly the shape and
 * size Pulseboard would send (a `delta` with the same fields and an epoch of the same
 * length), and calls `ws.send(frame)` on every socket. No state, filters, sequencing checks
 * or bookkeeping.
 *
 * With a pace (`floor-paced`), the sockets that ask for it (`?paced=1`) get one frame per
 * `pacedIntervalMs` instead, holding the latest update of each record changed meanwhile: the
 * bytes Pulseboard's paced deltas carry, at the least cost of making them.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { LatencyHistogram } from '../../lib/hub/stats';
import { now } from './proc-stats';
import { runServer, type Update } from './server-common';
import { channelName, seedRecord, type Workload } from './workload';

/** Same length as a memory-engine epoch (`e_` + 8 base64url characters). */
const EPOCH = 'e_floor000';

interface Channel {
  sockets: Set<WebSocket>;
  snapshot: Buffer;
  pending: Update[];
  seq: number;
  sentSeq: number;
  paced: {
    sockets: Set<WebSocket>;
    /** Latest update per record since the paced sockets' last frame. */
    pending: Map<string, Update>;
    sentSeq: number;
    sentAt: number;
  };
}

let http: HttpServer | undefined;
let wss: WebSocketServer | undefined;
let timer: NodeJS.Timeout | undefined;
const channels = new Map<string, Channel>();
let open = 0;
let pacedIntervalMs = 0;
/** Measured like the hub measures itself (`HubStats`), so the two compare. */
const flushes = { ticks: 0, seconds: 0, latency: new LatencyHistogram() };

function flush(): void {
  const started = performance.now();
  const at = Date.now();
  for (const [name, channel] of channels) {
    const paced = channel.paced;
    if (paced.pending.size > 0 && at - paced.sentAt >= pacedIntervalMs) {
      const frame = Buffer.from(
        JSON.stringify({ type: 'delta', channel: name, epoch: EPOCH, prevSeq: paced.sentSeq, seq: channel.seq, upsert: [...paced.pending.values()] }),
      );
      paced.pending.clear();
      paced.sentSeq = channel.seq;
      paced.sentAt = at;
      for (const socket of paced.sockets) socket.send(frame, { binary: false });
    }
    if (channel.pending.length === 0) continue;
    const oldest = channel.pending[0].t;
    const frame = Buffer.from(
      JSON.stringify({ type: 'delta', channel: name, epoch: EPOCH, prevSeq: channel.sentSeq, seq: channel.seq, upsert: channel.pending }),
    );
    channel.pending = [];
    channel.sentSeq = channel.seq;
    for (const socket of channel.sockets) socket.send(frame, { binary: false });
    flushes.latency.record(now() - oldest, channel.sockets.size);
  }
  flushes.ticks++;
  flushes.seconds += (performance.now() - started) / 1000;
}

runServer({
  async start(w: Workload) {
    const records = Array.from({ length: w.recordsPerChannel }, (_, r) => seedRecord(r));
    for (let c = 0; c < w.channels; c++) {
      const name = channelName(w, c);
      const snapshot = Buffer.from(JSON.stringify({ type: 'snapshot', channel: name, epoch: EPOCH, seq: 1, records, events: [], gap: false }));
      channels.set(name, { sockets: new Set(), snapshot, pending: [], seq: 1, sentSeq: 1, paced: { sockets: new Set(), pending: new Map(), sentSeq: 1, sentAt: 0 } });
    }
    http = createServer();
    wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false });
    pacedIntervalMs = w.pacedIntervalMs;
    wss.on('connection', (socket, request) => {
      const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
      const channel = channels.get(query.get('channel') ?? '');
      if (!channel) return socket.close(1008);
      open++;
      const sockets = query.get('paced') === '1' && pacedIntervalMs > 0 ? channel.paced.sockets : channel.sockets;
      sockets.add(socket);
      socket.on('close', () => {
        open--;
        sockets.delete(socket);
      });
      socket.on('error', () => undefined);
      socket.send(channel.snapshot, { binary: false });
    });
    timer = setInterval(flush, w.batchMs);
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    return { port: (http.address() as AddressInfo).port, path: '/floor' };
  },
  publish(name, update) {
    const channel = channels.get(name)!;
    channel.pending.push(update);
    channel.seq++;
    if (pacedIntervalMs > 0) channel.paced.pending.set(update.id, update);
  },
  connections() {
    return open;
  },
  flushStats() {
    return { ticks: flushes.ticks, seconds: flushes.seconds, buckets: flushes.latency.buckets, counts: [...flushes.latency.counts] };
  },
  async close() {
    clearInterval(timer);
    for (const channel of channels.values()) for (const socket of [...channel.sockets, ...channel.paced.sockets]) socket.terminate();
    wss?.close();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
  },
});
