/**
 * The Postgres bridge against a real PostgreSQL (a temp cluster made with initdb): the
 * channel starts equal to the table, follows inserts, updates and deletes through the shipped
 * trigger (reading each announced row from the table, so a forged NOTIFY changes nothing),
 * fetches rows too large for NOTIFY, and after its connection is killed
 * (`pg_terminate_backend`) with changes made meanwhile, ends equal to the table again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createLogger } from '@/lib/log';
import { parseSources } from '@/lib/sources/declared';
import { startSources, type RunningSources } from '@/lib/sources/start';
import { sortById } from '../helpers/channel-mirror';
import { http, sleep, subscribe } from '../helpers/http';
import { startPostgres, type LocalPostgres } from '../helpers/postgres';
import { startTestServer, type TestServer } from '../helpers/server';
import { TestClient, type Msg } from '../helpers/ws-client';

jest.setTimeout(60_000);

let db: LocalPostgres;
let sql: pg.Client;
let server: TestServer;
let sources: RunningSources;
let viewer: TestClient;

const status = () => sources.sources[0].status;
const snapshot = async () => (await http(server.url, 'GET', '/api/channels/orders/snapshot')).body;

/** The table as the channel must hold it: id from the key, NULL columns absent. */
async function table(): Promise<Array<Record<string, unknown>>> {
  const { rows } = await sql.query<{ row: Record<string, unknown> }>('SELECT to_jsonb(o) AS row FROM orders o');
  return sortById(
    rows.map(({ row }) => ({ ...Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)), id: String(row.order_no) }) as { id: string }),
  );
}

async function channelEqualsTable(timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [expected, actual] = [await table(), sortById((await snapshot()).records)];
    try {
      expect(actual).toEqual(expected);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

beforeAll(async () => {
  db = await startPostgres();
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  await sql.query(readFileSync(join(__dirname, '../../sql/pulse-notify.sql'), 'utf8'));
  await sql.query(`
    CREATE TABLE orders (order_no integer PRIMARY KEY, customer text NOT NULL, total numeric(10,2), status text, notes text);
    CREATE TRIGGER orders_pulse AFTER INSERT OR UPDATE OR DELETE ON orders FOR EACH ROW EXECUTE FUNCTION pulse_notify('pulse_orders', 'order_no');
    INSERT INTO orders VALUES (1, 'ann', 10.50, 'open', NULL), (2, 'bob', 99.99, 'paid', 'gift');
  `);
  server = await startTestServer({ PULSE_BATCH_MS: '20' });
  const [config] = parseSources({ sources: [{ name: 'orders', kind: 'postgres', channel: 'orders', connectionString: db.url, table: 'orders', key: 'order_no' }] });
  sources = startSources(server, [config], createLogger('silent'));
  viewer = await TestClient.connect(server.wsUrl);
});

afterAll(async () => {
  await viewer.close();
  await sources.stop();
  await server.close();
  await sql.end();
  await db.stop();
});

it('starts with the channel equal to the table, ids from the key', async () => {
  await channelEqualsTable();
  expect(status().state).toBe('live');
  expect((await snapshot()).records.find((r: Msg) => r.id === '1')).toEqual({ id: '1', order_no: 1, customer: 'ann', total: 10.5, status: 'open' });
});

it('follows inserts, updates (a column set to NULL included) and deletes', async () => {
  await subscribe(viewer, 'orders');
  await sql.query(`INSERT INTO orders VALUES (3, 'cy', 5, 'open', NULL)`);
  const inserted = await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === '3'));
  expect(inserted.upsert).toEqual([{ id: '3', order_no: 3, customer: 'cy', total: 5, status: 'open' }]);

  await sql.query(`UPDATE orders SET status = 'paid', notes = NULL WHERE order_no = 2`);
  const updated = await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === '2'));
  // Status was paid already: only the column that went NULL changes, and leaves the record.
  expect(updated.upsert).toEqual([{ id: '2', notes: null }]);

  await sql.query(`DELETE FROM orders WHERE order_no = 1`);
  const deleted = await viewer.next((m) => m.type === 'delta' && m.delete?.includes('1'));
  expect(deleted.delete).toEqual(['1']);
  await channelEqualsTable();
});

it('reads a row too large for NOTIFY from the table', async () => {
  const big = 'x'.repeat(20_000);
  await sql.query(`INSERT INTO orders VALUES (4, 'dee', 1, 'open', $1)`, [big]);
  const delta = await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === '4'));
  expect(delta.upsert[0].notes).toHaveLength(20_000);
  await channelEqualsTable();
});

it('trusts the table, not the notification: forged NOTIFYs neither create, change nor delete records', async () => {
  await channelEqualsTable();
  const { seq } = await snapshot();
  const errors = status().errors;
  const invalid = status().invalid;
  const forge = (payload: unknown) => sql.query('SELECT pg_notify($1, $2)', ['pulse_orders', typeof payload === 'string' ? payload : JSON.stringify(payload)]);
  // A row that is not in the table, a value the row does not have, a delete of a row that is.
  await forge({ op: 'INSERT', key: 99, row: { order_no: 99, customer: 'mallory', total: 1 } });
  await forge({ op: 'UPDATE', key: 2, row: { order_no: 2, customer: 'mallory', total: 0, status: 'refunded' } });
  await forge({ op: 'DELETE', key: 3 });
  // A row the payload claims is never read, whatever it holds.
  await forge('{"op":"UPDATE","key":2,"row":{"total":1e309}}');
  // A key the column cannot hold, and a payload that names no key.
  await forge({ op: 'DELETE', key: 'not-a-number' });
  await forge({ op: 'UPDATE', row: { order_no: 2 } });
  // A real change after them: once it is published, the forged ones were handled before it.
  await sql.query(`UPDATE orders SET status = 'shipped' WHERE order_no = 3`);
  const delta = await viewer.next((m) => m.type === 'delta' && m.upsert?.some((r: Msg) => r.id === '3'));
  expect(delta.seq).toBe(seq + 1);
  expect(delta.upsert).toEqual([{ id: '3', status: 'shipped' }]);
  expect(delta.delete).toBeUndefined();
  await channelEqualsTable();
  expect((await snapshot()).records.find((r: Msg) => r.id === '2')).toMatchObject({ customer: 'bob' });
  expect(status().invalid).toBe(invalid + 2);
  expect(status().errors).toBe(errors);
  expect(status().state).toBe('live');
});

it('after its connection is terminated, reconnects, reloads and publishes the difference', async () => {
  const errors = status().errors;
  await sql.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pulseboard orders'`);
  // Changes made while the bridge is away: only a reload can see them.
  await sql.query(`INSERT INTO orders VALUES (5, 'eve', 7, 'open', NULL)`);
  await sql.query(`UPDATE orders SET total = 1000 WHERE order_no = 3`);
  await sql.query(`DELETE FROM orders WHERE order_no = 4`);
  await channelEqualsTable(20_000);
  expect(status().errors).toBeGreaterThan(errors);
  expect(status().state).toBe('live');
  // And it keeps following changes after that.
  await sql.query(`UPDATE orders SET customer = 'eve2' WHERE order_no = 5`);
  await channelEqualsTable();
});

describe('rows that cannot be records', () => {
  let docs: RunningSources;
  const docsStatus = () => docs.sources[0].status;
  const docsSnapshot = async () => (await http(server.url, 'GET', '/api/channels/docs/snapshot')).body;
  const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

  beforeAll(async () => {
    await sql.query(`
      CREATE TABLE docs (id text PRIMARY KEY, doc jsonb);
      CREATE TRIGGER docs_pulse AFTER INSERT OR UPDATE OR DELETE ON docs FOR EACH ROW EXECUTE FUNCTION pulse_notify('pulse_docs', 'id');
      INSERT INTO docs VALUES ('a', '{"v":1}');
    `);
    const [config] = parseSources({ sources: [{ name: 'docs', kind: 'postgres', channel: 'docs', connectionString: db.url, table: 'docs' }] });
    docs = startSources(server, [config], createLogger('silent'));
    const deadline = Date.now() + 10_000;
    while (docsStatus().state !== 'live' && Date.now() < deadline) await sleep(25);
  });

  afterAll(async () => {
    await docs.stop();
  });

  it('skips a row with an id over 128 characters or past the JSON bounds, and publishes the others', async () => {
    await subscribe(viewer, 'docs');
    const invalid = docsStatus().invalid;
    await sql.query(`INSERT INTO docs VALUES ($1, '{"v":2}')`, ['x'.repeat(200)]);
    await sql.query(`INSERT INTO docs VALUES ('deep', $1)`, [nested(40)]);
    await sql.query(`INSERT INTO docs VALUES ('b', '{"v":3}')`);
    const delta = await viewer.next((m) => m.type === 'delta' && m.channel === 'docs' && m.upsert?.some((r: Msg) => r.id === 'b'));
    expect(delta.upsert).toEqual([{ id: 'b', doc: { v: 3 } }]);
    expect(sortById((await docsSnapshot()).records).map((r: Msg) => r.id)).toEqual(['a', 'b']);
    expect(docsStatus().invalid).toBe(invalid + 2);
    expect(docsStatus().state).toBe('live');

    // A row updated past the bounds leaves the channel, as a reload would leave it out.
    await sql.query(`UPDATE docs SET doc = $1 WHERE id = 'a'`, [nested(40)]);
    const removed = await viewer.next((m) => m.type === 'delta' && m.channel === 'docs' && m.delete?.includes('a'));
    expect(removed.delete).toEqual(['a']);
    expect(docsStatus().errors).toBe(0);
  });
});
