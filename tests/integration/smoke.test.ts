import { startTestServer, type TestServer } from '../helpers/server';
import { TestClient } from '../helpers/ws-client';

let server: TestServer;
beforeAll(async () => { server = await startTestServer({ PULSE_BATCH_MS: '20' }); });
afterAll(() => server.close());

test('publish reaches a subscriber', async () => {
  const a = await TestClient.connect(server.wsUrl);
  expect(a.welcome).toMatchObject({ type: 'welcome', protocol: 1, tenant: 'demo' });
  const sub = await a.request({ type: 'subscribe', channel: 'kpi' });
  expect(sub).toMatchObject({ ok: true, channel: 'kpi', recovered: false });
  const snap = await a.next((m) => m.type === 'snapshot');
  expect(snap).toMatchObject({ channel: 'kpi', seq: 0, records: [], gap: false });
  await server.hub.publish('demo', 'kpi', { upsert: [{ id: 'q1', waiting: 3 }] });
  const delta = await a.next((m) => m.type === 'delta');
  expect(delta).toMatchObject({ prevSeq: 0, seq: 1, upsert: [{ id: 'q1', waiting: 3 }] });
  await a.close();
});
