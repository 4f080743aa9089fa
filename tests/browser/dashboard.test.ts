/**
 * `/`, the live operations dashboard, in headless Chromium against the production server with
 * the simulator off (the test publishes everything itself): the HTML carries the data before
 * any script runs; a published change appears and flashes; a dropped socket shows
 * "reconnecting", resumes, and ends equal to the snapshot API; with the socket blocked the page
 * polls; and the map's region is a server-side filter, one of the two views of `fleet` the page
 * holds (the other, the attention table, is covered with the views' own tests).
 */
import { type Browser, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { launchBrowser, stopAppAndBrowser } from '../helpers/browser';

const API_KEY = 'dashboard-test-key-0123456789';
const EUROPE = { north: 71, south: 34, west: -25, east: 45 };

let server: AppServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

// ---- data -----------------------------------------------------------------------------------

const QUEUES = [
  { id: 'q-north', org: 'acme', department: 'support', queue: 'North Desk' },
  { id: 'q-south', org: 'acme', department: 'billing', queue: 'South Desk' },
  { id: 'q-east', org: 'globex', department: 'claims', queue: 'East Claims' },
];

const KPI = QUEUES.map((q, i) => ({ ...q, utilization: 0.7 + i * 0.05, healthScore: 80 - i * 7, slaRisk: 0.1 + i * 0.2, agentsOnline: 20 + i }));
const BACKLOG = QUEUES.map((q, i) => ({ ...q, waiting: 37 + i, oldestWaitS: 95 + i * 10, handled: 1234 + i, abandoned: 12 + i }));

function node(id: string, metro: string, lat: number, lon: number, status = 'online') {
  return { id, name: id.toUpperCase(), metro, lat, lon, status, battery: 80, moving: true, speedKmh: 20 };
}

const FLEET = [
  node('lon-t1', 'london', 51.51, -0.12),
  node('lon-t2', 'london', 51.49, -0.1, 'degraded'),
  node('lon-t3', 'london', 51.53, -0.15),
  node('nyc-t1', 'new-york', 40.71, -74.0),
  node('nyc-t2', 'new-york', 40.73, -73.99, 'offline'),
  node('syd-t1', 'sydney', -33.87, 151.2),
];

// ---- helpers --------------------------------------------------------------------------------

async function publish(channel: string, body: Record<string, unknown>): Promise<{ seq: number }> {
  const response = await fetch(`${server.url}/api/channels/${channel}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`publish to ${channel}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

async function snapshot(channel: string, filter?: unknown): Promise<{ seq: number; records: Array<Record<string, unknown>> }> {
  const query = filter ? `?filter=${encodeURIComponent(JSON.stringify(filter))}` : '';
  const response = await fetch(`${server.url}/api/channels/${channel}/snapshot${query}`);
  expect(response.status).toBe(200);
  return response.json();
}

const errors: string[] = [];

async function newPage(options: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number } } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  // React reports hydration mismatches as console errors (minified #418/#423/#425 in production)
  page.on('console', (message) => {
    if (message.type() === 'error' && /hydrat|#41[89]|#42[35]/i.test(message.text())) errors.push(message.text());
  });
  return page;
}

const CONNECTION = '.pb-header .pb-conn';

function cell(id: string, field: string): string {
  return `#backlog tr[data-id="${id}"] [data-field="${field}"]`;
}

/** Waits until the element's trimmed text is `expected`. */
async function waitForText(page: Page, selector: string, expected: string, timeout = 10_000): Promise<void> {
  await page
    .waitForFunction(([s, e]) => document.querySelector(s)?.textContent?.trim() === e, [selector, expected] as const, { timeout })
    .catch(async () => {
      throw new Error(`${selector}: expected "${expected}", found "${await page.locator(selector).first().textContent()}"`);
    });
}

/** The backlog table as the page shows it: waiting and handled per queue. */
function shownBacklog(page: Page): Promise<Record<string, { waiting: number; handled: number }>> {
  return page.$$eval('#backlog tbody tr[data-id]', (rows) =>
    Object.fromEntries(
      rows.map((row) => {
        const number = (field: string) => Number(row.querySelector(`[data-field="${field}"]`)?.textContent?.replace(/[^\d]/g, ''));
        return [row.getAttribute('data-id'), { waiting: number('waiting'), handled: number('handled') }];
      }),
    ),
  );
}

/** Names of the fleet nodes drawn on the map, alone or in a cluster (names here are ids in capitals). */
function shownNodes(page: Page): Promise<string[]> {
  return page.$$eval('#fleet .pb-map__marks [data-id], #fleet .pb-map__marks [data-ids]', (marks) =>
    marks.flatMap((m) => (m.getAttribute('data-id') ?? m.getAttribute('data-ids') ?? '').split(' ').map((id) => id.toUpperCase())).sort(),
  );
}

type Frame = { type?: string; channel?: string; view?: string; filter?: { bounds?: unknown }; since?: unknown; records?: Array<{ id: string }>; recovered?: boolean };

/** A subscription as the wire names it (docs/protocol.md §12): `fleet`, or `fleet#<view>`. */
const wireKey = (f: Frame) => (f.view === undefined ? String(f.channel) : `${f.channel}#${f.view}`);

/** The subscriptions the page holds after `sent`: subscribed, and not unsubscribed since. */
function heldViews(sent: readonly Frame[]): string[] {
  const held = new Set<string>();
  for (const f of sent) {
    if (f.type === 'subscribe') held.add(wireKey(f));
    if (f.type === 'unsubscribe') held.delete(wireKey(f));
  }
  return [...held].sort();
}

/**
 * Routes the page's hub socket through the test: frames both ways are recorded, `cut()` drops
 * the live socket, and while `hold` is set new sockets are accepted but never answered (the
 * handshake stalls, so the page stays "reconnecting" until `release()`).
 */
async function proxyHub(page: Page) {
  const sent: Frame[] = [];
  const received: Frame[] = [];
  const sockets: WebSocketRoute[] = [];
  let hold = false;
  await page.routeWebSocket('**/api/ws', (ws) => {
    sockets.push(ws);
    if (hold) return;
    const upstream = ws.connectToServer();
    ws.onMessage((message) => {
      sent.push(JSON.parse(String(message)));
      upstream.send(message);
    });
    upstream.onMessage((message) => {
      received.push(JSON.parse(String(message)));
      ws.send(message);
    });
  });
  return {
    sent,
    received,
    cut: async () => {
      hold = true;
      await sockets.at(-1)!.close({ code: 1011, reason: 'cut by the test' });
    },
    release: async () => {
      hold = false;
      // the stalled handshakes fail at once instead of timing out; the client retries
      for (const ws of sockets) await ws.close({ code: 1011, reason: 'released' }).catch(() => {});
    },
  };
}

// ---- setup ----------------------------------------------------------------------------------

beforeAll(async () => {
  [server, browser] = await Promise.all([startAppServer({ PULSE_SIMULATOR: 'off', PULSE_API_KEY: API_KEY }), launchBrowser()]);
  await publish('kpi', { upsert: KPI });
  await publish('backlog', { upsert: BACKLOG });
  await publish('fleet', { upsert: FLEET });
  await publish('alerts', {
    events: [
      { type: 'alert.sla', priority: 'high', data: { message: 'SLA risk rising on North Desk', queue: 'q-north', queueName: 'North Desk' } },
      { type: 'alert.node', priority: 'normal', data: { message: 'Node LON-T2 link degraded', node: 'lon-t2', nodeName: 'LON-T2' } },
    ],
  });
});

afterEach(() => {
  expect(errors).toEqual([]);
});

afterAll(() => stopAppAndBrowser({ server, browser, contexts }));

// ---- tests ----------------------------------------------------------------------------------

it('serves the data in the HTML, before any script runs', async () => {
  const html = await (await fetch(`${server.url}/`)).text();
  expect(html).toContain('North Desk');
  expect(html).toContain('1,234'); // q-north handled, formatted by the server render
  expect(html).toContain('SLA risk rising on North Desk');
  expect(html).toContain('LON-T2');

  const page = await newPage({ javaScriptEnabled: false });
  await page.goto(`${server.url}/`);
  expect(await page.locator(cell('q-north', 'waiting')).textContent()).toBe('37');
  expect(await page.locator(cell('q-east', 'handled')).textContent()).toBe('1,236');
  expect(await shownNodes(page)).toEqual(FLEET.map((n) => n.name).sort());
  expect(await page.locator('#fleet [data-stat="total"] dd').textContent()).toBe('6');
  expect(await page.locator('#alerts .pb-alert').count()).toBe(2);
  expect(await page.locator('.pb-kpi').count()).toBe(5);
});

it('shows a published change and flashes the row that changed', async () => {
  const page = await newPage();
  const fetches: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/channels/')) fetches.push(request.url());
  });
  await page.goto(`${server.url}/`);
  await page.locator(`${CONNECTION}[data-state="open"]`).waitFor();
  await waitForText(page, cell('q-north', 'waiting'), '37');
  // the server render is the data: the browser reads no snapshot of its own
  expect(fetches).toEqual([]);

  await publish('backlog', { upsert: [{ id: 'q-north', waiting: 42 }] });
  await page.locator('#backlog tr[data-id="q-north"][data-changed~="waiting"].pb-dash-row--changed').waitFor({ timeout: 5000 });
  expect(await page.locator(cell('q-north', 'waiting')).textContent()).toBe('42');
  // only the row that changed is marked
  expect(await page.locator('#backlog tr[data-changed]').count()).toBe(1);
  // and the mark wears off
  await page.locator('#backlog tr[data-changed]').waitFor({ state: 'detached', timeout: 5000 });

  // a critical alert lands in the feed and raises a toast
  await publish('alerts', { events: [{ type: 'alert.capacity', priority: 'critical', data: { message: 'East Claims is out of capacity', queueName: 'East Claims' } }] });
  await page.locator('#alerts .pb-alert--critical', { hasText: 'East Claims is out of capacity' }).waitFor({ timeout: 5000 });
  await page.locator('.pb-toast', { hasText: 'Capacity exhausted' }).waitFor({ timeout: 5000 });
});

it('shows reconnecting when the socket drops, resumes, and ends equal to the snapshot API', async () => {
  const page = await newPage();
  const hub = await proxyHub(page);
  await page.goto(`${server.url}/`);
  await page.locator(`${CONNECTION}[data-state="open"]`).waitFor();
  const before = await snapshot('backlog');
  // the first subscribe resumes from the server-rendered position
  const first = hub.sent.find((f) => f.type === 'subscribe' && f.channel === 'backlog');
  expect(first?.since).toEqual({ epoch: expect.any(String), seq: before.seq });

  await hub.cut();
  await page.locator(`${CONNECTION}[data-state="reconnecting"]`).waitFor({ timeout: 5000 });

  // missed while away
  await publish('backlog', { upsert: [{ id: 'q-south', waiting: 55, handled: 1300 }] });
  await publish('kpi', { upsert: [{ id: 'q-south', agentsOnline: 25 }] });
  await page.waitForTimeout(300);
  expect(await page.locator(cell('q-south', 'waiting')).textContent()).toBe('38');
  expect(await page.locator(`${CONNECTION}[data-state="reconnecting"]`).count()).toBe(1);

  const sentBefore = hub.sent.length;
  const receivedBefore = hub.received.length;
  await hub.release();
  await page.locator(`${CONNECTION}[data-state="open"]`).waitFor({ timeout: 10_000 });
  await waitForText(page, cell('q-south', 'waiting'), '55');

  // resumed with `since`, without loss
  const resubscribe = hub.sent.slice(sentBefore).find((f) => f.type === 'subscribe' && f.channel === 'backlog');
  expect(resubscribe?.since).toEqual({ epoch: expect.any(String), seq: before.seq });
  const replies = hub.received.slice(receivedBefore).filter((f) => f.type === 'reply' && f.channel === 'backlog');
  expect(replies.map((f) => f.recovered)).toEqual([true]);

  const after = await snapshot('backlog');
  const expected = Object.fromEntries(after.records.map((r) => [r.id, { waiting: r.waiting, handled: r.handled }]));
  expect(await shownBacklog(page)).toEqual(expected);
  expect(await page.locator(cell('q-south', 'agentsOnline')).textContent()).toMatch(/^25\b/);
});

it('falls back to polling when the socket is blocked, and keeps updating', async () => {
  const page = await newPage();
  const polls: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('/api/channels/backlog/snapshot')) polls.push(request.url());
  });
  await page.routeWebSocket('**/api/ws', (ws) => ws.close({ code: 1011, reason: 'blocked by the test' }));
  await page.goto(`${server.url}/`);

  await page.locator(`${CONNECTION}[data-state="fallback"]`).waitFor({ timeout: 15_000 });
  expect(await page.locator(CONNECTION).textContent()).toContain('Polling');

  await publish('backlog', { upsert: [{ id: 'q-east', waiting: 71 }] });
  await waitForText(page, cell('q-east', 'waiting'), '71', 10_000);
  expect(polls.length).toBeGreaterThan(0);
});

it('changes what the server sends when the map region changes', async () => {
  const page = await newPage();
  const hub = await proxyHub(page);
  await page.goto(`${server.url}/`);
  await page.locator(`${CONNECTION}[data-state="open"]`).waitFor();
  expect(await shownNodes(page)).toHaveLength(6);

  await page.getByRole('toolbar', { name: 'Map region' }).getByRole('button', { name: 'Europe' }).click();
  await waitForText(page, '#fleet [data-stat="total"] dd', '3');
  expect(await shownNodes(page)).toEqual(['LON-T1', 'LON-T2', 'LON-T3']);

  // a new subscription with the bounds, answered with only what is inside them
  const subscribe = hub.sent.find((f) => f.type === 'subscribe' && f.channel === 'fleet' && JSON.stringify(f.filter?.bounds) === JSON.stringify(EUROPE));
  expect(subscribe).toBeDefined();
  expect(subscribe?.since).toBeUndefined();
  // (the page's other view of `fleet`, the attention table, resumed without a snapshot)
  const fresh = hub.received.find((f) => f.type === 'snapshot' && f.channel === 'fleet' && f.view === subscribe?.view);
  expect(fresh?.records?.map((r) => r.id).sort()).toEqual(['lon-t1', 'lon-t2', 'lon-t3']);

  // nodes published later: the one in Paris arrives, the one in New York never does
  const receivedBefore = hub.received.length;
  await publish('fleet', { upsert: [node('par-t1', 'paris', 48.86, 2.35), node('nyc-t3', 'new-york', 40.75, -73.98)] });
  await waitForText(page, '#fleet [data-stat="total"] dd', '4');
  expect(await shownNodes(page)).toEqual(['LON-T1', 'LON-T2', 'LON-T3', 'PAR-T1']);
  expect(JSON.stringify(hub.received.slice(receivedBefore))).not.toContain('nyc-t3');

  const inside = await snapshot('fleet', { bounds: EUROPE });
  expect(inside.records.map((r) => r.id).sort()).toEqual(['lon-t1', 'lon-t2', 'lon-t3', 'par-t1']);

  // the manual refresh asks the hub for a fresh snapshot of every view on the live socket:
  // each channel's, the map's new region, and the attention table's unless it paused offscreen
  const sentBefore = hub.sent.length;
  const held = heldViews(hub.sent);
  expect(held.filter((key) => !key.startsWith('fleet'))).toEqual(['alerts', 'backlog', 'kpi']);
  expect(held).toContain(wireKey(subscribe!));
  await page.getByRole('button', { name: 'Refresh' }).click();
  await page.waitForFunction(() => document.querySelector('.pb-dash-refresh')?.getAttribute('aria-busy') === 'false');
  const resyncs = hub.sent.slice(sentBefore).filter((f) => f.type === 'resync').map(wireKey);
  expect(resyncs.sort()).toEqual(held);
  expect(await shownNodes(page)).toEqual(['LON-T1', 'LON-T2', 'LON-T3', 'PAR-T1']);
});

it.each(['/', '/status', '/websocket-test', '/d'])('%s fits a phone-width screen: no sideways scrolling', async (path) => {
  const page = await newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`${server.url}${path}`);
  await page.waitForLoadState('networkidle');
  const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
});
