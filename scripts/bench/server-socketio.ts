/**
 * The Socket.IO baseline: the usual hand-rolled real-time layer. One room per channel, the
 * current records sent on join, then one `io.to(room).emit('update', update)` per update
 * (websocket transport only, no compression). Socket.IO's in-memory adapter encodes each
 * broadcast once and writes the same pre-built frame to every socket of the room.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { runServer } from './server-common';
import { channelName, seedRecord, type Workload } from './workload';

type Row = ReturnType<typeof seedRecord>;

let http: HttpServer | undefined;
let io: Server | undefined;
const state = new Map<string, Map<string, Row>>();

runServer({
  async start(w: Workload) {
    for (let c = 0; c < w.channels; c++) {
      const rows = new Map<string, Row>();
      for (let r = 0; r < w.recordsPerChannel; r++) rows.set(seedRecord(r).id, seedRecord(r));
      state.set(channelName(w, c), rows);
    }
    http = createServer();
    io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
    io.on('connection', (socket) => {
      const channel = String(socket.handshake.query.channel ?? '');
      const rows = state.get(channel);
      if (!rows) return void socket.disconnect(true);
      void socket.join(channel);
      socket.emit('snapshot', [...rows.values()]);
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    return { port: (http.address() as AddressInfo).port, path: '/socket.io/' };
  },
  publish(channel, update) {
    const row = state.get(channel)?.get(update.id);
    if (row) Object.assign(row, update);
    io!.to(channel).emit('update', update);
  },
  connections() {
    return io?.engine.clientsCount ?? 0;
  },
  async close() {
    io?.disconnectSockets(true);
    await new Promise<void>((resolve) => (io ? io.close(() => resolve()) : resolve()));
  },
});
