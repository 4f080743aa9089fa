/**
 * The MQTT bridge against a real Mosquitto broker: messages from a real MQTT client become
 * deltas over /api/ws, events, malformed payloads (not JSON, past the JSON bounds, ids over
 * 128 characters) are counted and change nothing, and a broker restart mid-stream is survived
 * (the bridge reconnects, resubscribes, and what was published meanwhile at QoS 1 arrives).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { createLogger } from '@/lib/log';
import { parseSources } from '@/lib/sources/declared';
import { startSources, type RunningSources } from '@/lib/sources/start';
import { byId, http, sleep, subscribe } from '../helpers/http';
import { startMosquitto, type LocalMosquitto } from '../helpers/mosquitto';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(60_000);

let broker: LocalMosquitto;
let server: TestServer;
let sources: RunningSources;
let device: MqttClient;
let viewer: TestClient;

const status = () => sources.sources[0].status;
const snapshot = async () => (await http(server.url, 'GET', '/api/channels/nodes/snapshot')).body;
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached; source status ${JSON.stringify(status().toJSON())}`);
    await sleep(25);
  }
}
const send = (topic: string, payload: unknown) => device.publishAsync(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), { qos: 1 });

beforeAll(async () => {
  broker = await startMosquitto();
  server = await startTestServer({ PULSE_BATCH_MS: '20' });
  const [config] = parseSources({
    sources: [
      {
        name: 'nodes',
        kind: 'mqtt',
        channel: 'nodes',
        url: broker.url,
        topics: [{ topic: 'nodes/{id}/position' }, { topic: 'nodes/{id}/alarm', as: 'event', type: 'alert.node', priority: 'high' }],
      },
    ],
  });
  sources = startSources(server, [config], createLogger('silent'));
  await until(() => status().state === 'live');
  device = await mqtt.connectAsync(broker.url, { clientId: 'test-device', reconnectPeriod: 200 });
  viewer = await TestClient.connect(server.wsUrl);
  await subscribe(viewer, 'nodes');
});

afterAll(async () => {
  await viewer.close();
  await device.endAsync(true);
  await sources.stop();
  await server.close();
  await broker.stop();
});

it('turns a message on nodes/{id}/position into a patch of record {id}', async () => {
  await send('nodes/n1/position', { lat: 52.1, lon: 4.3 });
  const first = await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === 'n1'));
  expect(first.upsert).toEqual([{ id: 'n1', lat: 52.1, lon: 4.3 }]);
  await send('nodes/n1/position', { lat: 52.2 });
  const second = await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === 'n1'));
  expect(second.upsert).toEqual([{ id: 'n1', lat: 52.2 }]);
  expect(byId((await snapshot()).records).n1).toEqual({ id: 'n1', lat: 52.2, lon: 4.3 });
});

it('turns a message on an event topic into an event', async () => {
  await send('nodes/n2/alarm', { reason: 'overheat' });
  const delta = await viewer.next((m) => m.type === 'delta' && (m.events?.length ?? 0) > 0);
  expect(delta.events).toEqual([expect.objectContaining({ type: 'alert.node', priority: 'high', data: { topic: 'nodes/n2/alarm', id: 'n2', payload: { reason: 'overheat' } } })]);
});

it('counts and skips malformed payloads, and keeps going', async () => {
  const { seq } = await snapshot();
  const invalid = status().invalid;
  await send('nodes/n3/position', '{not json');
  await send('nodes/n3/position', '[1,2]');
  await send('nodes/n3/position', { lat: 1 });
  await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === 'n3'));
  expect(status().invalid).toBe(invalid + 2);
  expect((await snapshot()).seq).toBe(seq + 1);
});

it('skips payloads past the JSON bounds or with an id over 128 characters, and publishes the next ones', async () => {
  const { seq } = await snapshot();
  const invalid = status().invalid;
  let deep: unknown = 1;
  for (let i = 0; i < 40; i++) deep = { deep };
  await send('nodes/d1/position', { lat: 1, deep });
  await send('nodes/d2/position', `{"lat":1,"deeper":${'['.repeat(6000)}1${']'.repeat(6000)}}`);
  await send('nodes/d3/position', '{"lat":1e309}');
  await send(`nodes/${'n'.repeat(200)}/position`, { lat: 1 });
  await send('nodes/d4/alarm', { deep });
  await send('nodes/d5/position', { lat: 5 });
  const delta = await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === 'd5'));
  expect(delta.seq).toBe(seq + 1);
  expect(delta.upsert).toEqual([{ id: 'd5', lat: 5 }]);
  expect(delta.events).toBeUndefined();
  expect(status().invalid).toBe(invalid + 5);
  expect(status().state).toBe('live');
  expect(Object.keys(byId((await snapshot()).records)).filter((id) => id.startsWith('d') || id.length > 100)).toEqual(['d5']);
});

it('survives a broker restart: reconnects, resubscribes, and gets what was sent meanwhile', async () => {
  await broker.kill();
  await until(() => status().state === 'failing');
  await broker.restart();
  // The device reconnects on its own and publishes while the bridge may still be away.
  await until(() => device.connected);
  for (let i = 0; i < 20; i++) await send(`nodes/r${i}/position`, { i });
  await until(() => status().state === 'live', 20_000);
  await until(async () => Object.keys(byId((await snapshot()).records)).filter((id) => id.startsWith('r')).length === 20, 20_000);
  await send('nodes/n1/position', { lat: 53 });
  await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === 'n1' && r.lat === 53));
  expect(viewer.socket.readyState).toBe(viewer.socket.OPEN);
});
