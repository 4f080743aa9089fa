/**
 * Views (docs/protocol.md §12) in headless Chromium against the production server, with the
 * simulator running: the dashboard shows `fleet` twice (the map's region and the nodes needing
 * attention) on one connection, each view resumed once and never refreshed with a snapshot; a
 * hidden page pauses its views and, shown again, catches up with recovery deltas; and the tester
 * page subscribes two views of one channel and logs each one's frames.
 */
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AppServer } from '../helpers/app-server';
import { CONNECTION_STATUS, connectTester, openPage, publishOverHttp, startAppAndBrowser, stopAppAndBrowser, waitForLive, waitUntil } from '../helpers/browser';

const API_KEY = 'views-test-key-0123456789abcdef';

let server: AppServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

beforeAll(async () => {
  // The simulator on (the default), a little faster than its default, so data flows throughout.
  ({ server, browser } = await startAppAndBrowser({ PULSE_API_KEY: API_KEY, PULSE_SIMULATOR_RATE: '50' }));
});

afterEach(async () => {
  // one page at a time: a dashboard left running with the simulator costs the next test its CPU
  for (const context of contexts.splice(0)) await context.close().catch(() => {});
  expect(errors).toEqual([]);
  errors.length = 0;
});

afterAll(() => stopAppAndBrowser({ server, browser }));

// ---- helpers --------------------------------------------------------------------------------

const publish = (channel: string, body: Record<string, unknown>) => publishOverHttp(server.url, channel, body, { apiKey: API_KEY });

/** A page tall enough that every panel is in sight: nothing pauses for being scrolled away. */
function newPage(height = 2600): Promise<Page> {
  return openPage(browser, { viewport: { width: 1440, height }, timeout: 15_000, contexts, errors });
}

interface Message {
  type: string;
  ref?: number;
  channel?: string;
  view?: string;
  filter?: { or?: unknown; bounds?: unknown; ids?: unknown };
  intervalMs?: number;
  since?: { epoch: string; seq: number };
  presence?: boolean;
  ok?: boolean;
  recovered?: boolean;
  epoch?: string;
  seq?: number;
  prevSeq?: number;
  recovery?: boolean;
  records?: Array<{ id: string }>;
  upsert?: Array<Record<string, unknown> & { id: string }>;
  delete?: string[];
}

interface Frame {
  direction: 'in' | 'out';
  at: number;
  message: Message;
}

/** Every frame of the page's hub sockets, both ways, in the order they crossed. */
function recordHubFrames(page: Page) {
  const frames: Frame[] = [];
  const sockets: string[] = [];
  page.on('websocket', (ws) => {
    if (!ws.url().includes('/api/ws')) return;
    sockets.push(ws.url());
    const push = (direction: Frame['direction'], payload: string | Buffer) => frames.push({ direction, at: Date.now(), message: JSON.parse(String(payload)) as Message });
    ws.on('framesent', ({ payload }) => push('out', payload));
    ws.on('framereceived', ({ payload }) => push('in', payload));
  });
  return { frames, sockets };
}

/** A subscription as the wire names it: `fleet`, or `fleet#v-…` for a named view. */
const keyOf = (m: Message) => (m.view === undefined ? String(m.channel) : `${m.channel}#${m.view}`);

/**
 * What a subscribe selects, whatever the wire calls it: a new connection or a resume may deal
 * the channel's default view to another of its views (docs/client.md), so views are compared
 * by channel, filter and pace.
 */
const contentOf = (m: Message) => `${m.channel} ${JSON.stringify(m.filter ?? {})} ${m.intervalMs ?? ''}`;

/**
 * Checks every subscription's chain as the gap rule has it (docs/protocol.md §5): after a
 * subscribe with `since` the first delta continues `since`, each delta continues the one
 * before, and a snapshot restarts the chain. Deltas between an `unsubscribe` and the next
 * `subscribe`, or before a subscribe's reply, belong to what was replaced and are skipped.
 * Returns the breaks found (none for a correct server).
 */
function chainBreaks(frames: readonly Frame[]): string[] {
  const breaks: string[] = [];
  const state = new Map<string, { position: number | undefined; live: boolean }>();
  const pendingSubscribes = new Map<number, string>();
  for (const { direction, message: m } of frames) {
    if (direction === 'out') {
      if (m.type === 'subscribe') {
        state.set(keyOf(m), { position: m.since?.seq, live: false });
        pendingSubscribes.set(m.ref!, keyOf(m));
      } else if (m.type === 'unsubscribe') {
        state.set(keyOf(m), { position: undefined, live: false });
      }
      continue;
    }
    if (m.type === 'reply' && m.ref !== undefined && pendingSubscribes.has(m.ref)) {
      const entry = state.get(pendingSubscribes.get(m.ref)!);
      pendingSubscribes.delete(m.ref);
      if (entry && m.ok) entry.live = true;
      continue;
    }
    const entry = m.channel === undefined ? undefined : state.get(keyOf(m));
    if (!entry?.live) continue;
    if (m.type === 'snapshot') entry.position = m.seq;
    if (m.type === 'delta') {
      if (entry.position !== m.prevSeq) breaks.push(`${keyOf(m)}: delta ${m.prevSeq} → ${m.seq} after ${entry.position}`);
      entry.position = m.seq;
    }
  }
  return breaks;
}

const isAttention = (m: Message) => m.type === 'subscribe' && m.channel === 'fleet' && m.filter?.or !== undefined;
const isMap = (m: Message) => m.type === 'subscribe' && m.channel === 'fleet' && m.filter?.bounds !== undefined;

function node(id: string, fields: Record<string, unknown>) {
  return { id, name: id.toUpperCase(), metro: 'london', lat: 51.5, lon: -0.12, status: 'online', battery: 80, moving: false, speedKmh: 0, ...fields };
}

// ---- the dashboard --------------------------------------------------------------------------

/** Waits until `check` holds for the frames recorded so far. */
function waitForFrames(frames: readonly Frame[], check: (frames: readonly Frame[]) => boolean, what: string): Promise<void> {
  return waitUntil(() => check(frames), what, 10_000);
}

/** The reply to the subscribe `matches` picks, once both are recorded. */
function replyTo(frames: readonly Frame[], matches: (m: Message) => boolean): Message | undefined {
  const sent = frames.find((f) => f.direction === 'out' && matches(f.message));
  return sent && frames.find((f) => f.direction === 'in' && f.message.type === 'reply' && f.message.ref === sent.message.ref)?.message;
}

/** `/` (at `path`) in a new page recording its hub frames, once live and both fleet views are answered. */
async function openDashboard(path = '/') {
  const page = await newPage();
  const recorded = recordHubFrames(page);
  await page.goto(`${server.url}${path}`);
  await waitForLive(page);
  await waitForFrames(recorded.frames, (f) => replyTo(f, isAttention) !== undefined && replyTo(f, isMap) !== undefined, 'both fleet views to be answered');
  return { page, ...recorded };
}

it('shows fleet twice on one connection: the map and the attention table, each resumed once, never re-snapshotted', async () => {
  const { page, frames, sockets } = await openDashboard();

  // Two subscriptions of `fleet`, told apart by their view, each resuming the server render.
  const attention = frames.find((f) => f.direction === 'out' && isAttention(f.message))!.message;
  const map = frames.find((f) => f.direction === 'out' && isMap(f.message))!.message;
  expect(keyOf(attention)).not.toBe(keyOf(map));
  expect(attention.filter).toEqual({ or: [{ status: 'offline' }, { battery: { lt: 20 } }], fields: ['name', 'metro', 'status', 'battery'] });
  expect(attention.intervalMs).toBe(1000);
  expect(map.intervalMs).toBeUndefined();
  for (const subscribe of [attention, map]) {
    expect(subscribe.since).toEqual({ epoch: expect.any(String), seq: expect.any(Number) });
    expect(replyTo(frames, (m) => m === subscribe)).toMatchObject({ ok: true, channel: 'fleet', recovered: true, ...(subscribe.view ? { view: subscribe.view } : {}) });
  }

  // A node goes offline while the simulator runs: it enters the attention view (and the map),
  // its row lights up; its charge changes and the row flashes; it comes back and leaves.
  const id = 'zz-views-1';
  await publish('fleet', { upsert: [node(id, { status: 'offline', battery: 15 })] });
  const row = page.locator(`#attention tr[data-id="${id}"]`);
  // it arrives marked as new (lit up) for the provider's flash time
  await page.locator(`#attention tr[data-id="${id}"].pb-dash-attention__row--new`).waitFor();
  expect(await row.getAttribute('data-status')).toBe('offline');
  expect(await row.locator('[data-field="battery"]').textContent()).toContain('15%');
  // on the map, alone or in a cluster
  await page.locator(`#fleet .pb-map__marks [data-id="${id}"], #fleet .pb-map__marks [data-ids~="${id}"]`).waitFor({ state: 'attached' });

  // once the arrival mark wore off, a change of charge marks (and flashes) the row again
  await page.locator(`#attention tr[data-id="${id}"]:not([data-changed])`).waitFor();
  await publish('fleet', { upsert: [{ id, battery: 12 }] });
  await page.locator(`#attention tr[data-id="${id}"][data-changed="battery"]`).waitFor();
  expect(await row.locator('[data-field="battery"]').textContent()).toContain('12%');

  await publish('fleet', { upsert: [{ id, status: 'online', battery: 80 }] });
  await row.waitFor({ state: 'detached' });
  // still on the map: the map's view never left it
  expect(await page.locator(`#fleet .pb-map__marks [data-id="${id}"], #fleet .pb-map__marks [data-ids~="${id}"]`).count()).toBe(1);

  // let the simulator run a little longer under both views
  await page.waitForTimeout(3000);

  expect(sockets).toHaveLength(1);
  const sent = frames.filter((f) => f.direction === 'out').map((f) => f.message);
  const received = frames.filter((f) => f.direction === 'in').map((f) => f.message);
  // one subscribe per view, nothing unsubscribed, resynced or replaced: no thrash
  const fleetSubscribes = sent.filter((m) => m.type === 'subscribe' && m.channel === 'fleet');
  expect(fleetSubscribes.map(keyOf).sort()).toEqual([keyOf(attention), keyOf(map)].sort());
  expect(sent.filter((m) => m.type === 'unsubscribe' || m.type === 'resync')).toEqual([]);
  // no snapshot for either view: each resumed from the render and followed by deltas alone
  expect(received.filter((m) => m.type === 'snapshot' && m.channel === 'fleet')).toEqual([]);
  const deltas = (subscribe: Message) => frames.filter((f) => f.direction === 'in' && f.message.type === 'delta' && keyOf(f.message) === keyOf(subscribe));
  expect(deltas(map).length).toBeGreaterThan(3);
  expect(deltas(attention).length).toBeGreaterThanOrEqual(3);
  expect(deltas(attention)[0]!.message).toMatchObject({ recovery: true, prevSeq: attention.since!.seq });
  expect(deltas(map)[0]!.message).toMatchObject({ recovery: true, prevSeq: map.since!.seq });
  expect(chainBreaks(frames)).toEqual([]);
  // the attention view's pace: at most one delta a second (allowing for delivery jitter)
  const paced = deltas(attention).filter((f) => f.message.recovery !== true).map((f) => f.at);
  for (let i = 1; i < paced.length; i++) expect(paced[i]! - paced[i - 1]!).toBeGreaterThan(700);
  // what the test published reached the attention view as it entered, changed and left
  const attentionText = JSON.stringify(deltas(attention).map((f) => f.message));
  expect(attentionText).toContain(id);
  expect(deltas(attention).some((f) => f.message.delete?.includes(id))).toBe(true);
});

it('changing the map region leaves the attention view alone', async () => {
  const { page, frames } = await openDashboard();
  const attention = frames.find((f) => f.direction === 'out' && isAttention(f.message))!.message;
  const before = frames.length;

  await page.getByRole('toolbar', { name: 'Map region' }).getByRole('button', { name: 'Europe' }).click();
  await waitForFrames(frames, (f) => f.slice(before).some((x) => x.direction === 'in' && x.message.type === 'snapshot' && x.message.channel === 'fleet'), 'the new region');
  await page.waitForTimeout(1500);

  const sent = frames.slice(before).filter((f) => f.direction === 'out').map((f) => f.message);
  // the map's view is replaced by one for Europe; nothing is sent about the attention view
  expect(sent.filter((m) => m.channel === 'fleet' && keyOf(m) === keyOf(attention))).toEqual([]);
  expect(sent.filter((m) => m.type === 'subscribe' && m.channel === 'fleet').map((m) => m.filter?.bounds)).toEqual([{ north: 71, south: 34, west: -25, east: 45 }]);
  const snapshots = frames.slice(before).filter((f) => f.direction === 'in' && f.message.type === 'snapshot').map((f) => f.message);
  expect(snapshots.map(keyOf)).toEqual([keyOf(sent.find((m) => m.type === 'subscribe')!)]);
  // the attention view kept flowing, unbroken
  expect(chainBreaks(frames)).toEqual([]);
  expect(await page.locator('#attention tbody tr').count()).toBeGreaterThan(0);
});

it('pauses every view while the page is hidden and catches up with recovery deltas when it is shown', async () => {
  // a short pause delay instead of the default 30 s (the page's query parameter)
  const { page, frames, sockets } = await openDashboard('/?pauseHiddenAfterMs=300');
  // what each wire name stands for, and every view the page holds
  const subscribes = frames.filter((f) => f.direction === 'out' && f.message.type === 'subscribe').map((f) => f.message);
  const contentByWire = new Map(subscribes.map((m) => [keyOf(m), contentOf(m)]));
  const live = [...contentByWire.values()].sort();

  const setHidden = (hidden: boolean) =>
    page.evaluate((value) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (value ? 'hidden' : 'visible') });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);

  const hiddenAt = frames.length;
  await setHidden(true);
  await page.locator(`${CONNECTION_STATUS}[data-paused="true"]`).waitFor();
  await page.locator('#attention .pb-live--paused', { hasText: 'Paused' }).waitFor();
  await page.locator('#fleet .pb-live--paused').waitFor();

  // Meanwhile: a node goes offline and a queue fills up; the simulator goes on too.
  const id = 'zz-views-2';
  await publish('fleet', { upsert: [node(id, { status: 'offline', battery: 9 })] });
  await publish('fleet', { upsert: [{ id, battery: 7 }] });
  await publish('backlog', { upsert: [{ id: 'zz-queue', queue: 'ZZ Paused Queue', org: 'acme', department: 'support', waiting: 17, oldestWaitS: 40, handled: 1, abandoned: 0 }] });
  await page.waitForTimeout(1500);
  // nothing of it reached the hidden page
  const whileHidden = frames.slice(hiddenAt);
  expect(JSON.stringify(whileHidden.filter((f) => f.direction === 'in'))).not.toContain(id);
  expect(await page.locator(`#attention tr[data-id="${id}"]`).count()).toBe(0);
  // every data view was unsubscribed (a presence-only subscription may stand in for `kpi`)
  const unsubscribed = whileHidden.filter((f) => f.direction === 'out' && f.message.type === 'unsubscribe').map((f) => keyOf(f.message));
  const replaced = whileHidden.filter((f) => f.direction === 'out' && f.message.type === 'subscribe' && f.message.presence === true).map((f) => keyOf(f.message));
  expect([...unsubscribed, ...replaced].map((key) => contentByWire.get(key)).sort()).toEqual(live);
  for (const f of whileHidden) {
    if (f.direction === 'out' && f.message.type === 'subscribe') expect(f.message.filter).toEqual({ ids: [], eventTypes: [] });
    if (f.direction === 'in' && f.message.type === 'snapshot') expect(f.message.records).toEqual([]);
  }

  const shownAt = frames.length;
  await setHidden(false);
  await page.locator(`#attention tr[data-id="${id}"]`).waitFor();
  expect(await page.locator(`#attention tr[data-id="${id}"] [data-field="battery"]`).textContent()).toContain('7%');
  await page.locator('#backlog tr[data-id="zz-queue"]').waitFor();
  await page.locator(`${CONNECTION_STATUS}[data-state="open"]:not([data-paused])`).waitFor();
  await page.waitForTimeout(1500);

  // Each view subscribed again from where it paused, answered `recovered: true` and one
  // recovery delta continuing that position: no snapshot, no gap, no resync.
  const after = frames.slice(shownAt);
  const resubscribes = after.filter((f) => f.direction === 'out' && f.message.type === 'subscribe').map((f) => f.message);
  expect(resubscribes.map(contentOf).sort()).toEqual(live);
  for (const subscribe of resubscribes) {
    expect(subscribe.since).toEqual({ epoch: expect.any(String), seq: expect.any(Number) });
    expect(replyTo(after, (m) => m === subscribe)).toMatchObject({ ok: true, recovered: true });
    const first = after.find((f) => f.direction === 'in' && f.message.type === 'delta' && keyOf(f.message) === keyOf(subscribe));
    expect(first?.message).toMatchObject({ recovery: true, prevSeq: subscribe.since!.seq });
  }
  const attention = resubscribes.find(isAttention)!;
  const recovery = after.find((f) => f.direction === 'in' && f.message.type === 'delta' && keyOf(f.message) === keyOf(attention))!.message;
  // the node changed twice while hidden and arrives once, whole, as it is now
  expect(recovery.upsert?.filter((r) => r.id === id)).toEqual([{ id, name: 'ZZ-VIEWS-2', metro: 'london', status: 'offline', battery: 7 }]);
  expect(after.filter((f) => f.direction === 'in' && f.message.type === 'snapshot')).toEqual([]);
  expect(frames.filter((f) => f.direction === 'out' && f.message.type === 'resync')).toEqual([]);
  expect(chainBreaks(frames)).toEqual([]);
  expect(sockets).toHaveLength(1);
});

// ---- the tester -----------------------------------------------------------------------------

it('lets the tester subscribe two views of one channel and shows both in the log', async () => {
  const page = await newPage(1400);
  await connectTester(page, server.url);

  const channel = 'sandbox.views';
  await publish(channel, { upsert: [{ id: 'r1', temp: 20 }, { id: 'r2', temp: 70 }] });

  // the default view: no filter
  await page.getByTestId('subscribe-channel').fill(channel);
  await page.getByTestId('subscribe-filter').fill('{}');
  await page.getByTestId('subscribe').click();
  const rows = page.locator(`[data-testid="subscriptions"] tr[data-channel="${channel}"]`);
  const defaultRow = page.locator(`[data-testid="subscriptions"] tr[data-channel="${channel}"]:not([data-view])`);
  await defaultRow.filter({ hasText: 'live' }).waitFor();

  // a second view of the same channel, filtered with `nin` and paced
  await page.getByTestId('subscribe-view').fill('hot');
  await page.getByTestId('subscribe-interval').fill('500');
  await page.locator('select[aria-label="Insert a filter example"]').selectOption({ label: 'Invalid: empty or' });
  await page.getByTestId('filter-check').filter({ hasText: 'BAD_FILTER' }).waitFor();
  await page.getByTestId('subscribe-filter').fill('{"where":{"temp":{"gte":50},"zone":{"nin":["north"]}}}');
  await page.getByTestId('subscribe').click();
  const hotRow = page.locator(`[data-testid="subscriptions"] tr[data-channel="${channel}"][data-view="hot"]`);
  await hotRow.filter({ hasText: 'live' }).waitFor();
  expect(await rows.count()).toBe(2);
  expect(await hotRow.getByTestId('pace').textContent()).toContain('500 ms');
  await hotRow.getByTestId('records').filter({ hasText: /^1$/ }).waitFor();
  await defaultRow.getByTestId('records').filter({ hasText: /^2$/ }).waitFor();

  // the log names each view's frames
  const log = (type: string) => page.locator(`.pb-tester-log__row[data-type="${type}"]`);
  await log('subscribe').filter({ has: page.locator('.pb-tester-view[data-view="hot"]') }).filter({ hasText: 'every 500 ms' }).waitFor();
  await log('snapshot').filter({ has: page.locator('.pb-tester-view[data-view="hot"]') }).filter({ hasText: '1 record' }).waitFor();
  await log('snapshot').filter({ hasNot: page.locator('.pb-tester-view') }).filter({ hasText: `${channel} ·` }).waitFor();

  // one publish, a delta on each view that sees it: r3 is hot, r1 only warms up
  await publish(channel, { upsert: [{ id: 'r3', temp: 90 }, { id: 'r1', temp: 30 }] });
  await log('delta').filter({ has: page.locator('.pb-tester-view[data-view="hot"]') }).filter({ hasText: '1 upsert' }).waitFor();
  await log('delta').filter({ hasNot: page.locator('.pb-tester-view') }).filter({ hasText: '2 upserts' }).waitFor();
  await hotRow.getByTestId('records').filter({ hasText: /^2$/ }).waitFor();
  await defaultRow.getByTestId('records').filter({ hasText: /^3$/ }).waitFor();

  // the log narrowed to one view shows its frames only
  await page.getByTestId('log-view').selectOption('hot');
  expect(await page.locator('.pb-tester-log__row').count()).toBeGreaterThan(0);
  expect(await page.locator('.pb-tester-log__row:not(:has(.pb-tester-view[data-view="hot"]))').count()).toBe(0);
  await page.getByTestId('log-view').selectOption({ label: 'All views' });

  // resync and unsubscribe name the view; the other subscription goes on
  await hotRow.getByRole('button', { name: `Resync ${channel} (view hot)` }).click();
  await log('resync').filter({ has: page.locator('.pb-tester-view[data-view="hot"]') }).waitFor();
  await log('snapshot').filter({ has: page.locator('.pb-tester-view[data-view="hot"]') }).filter({ hasText: '2 records' }).waitFor();
  await hotRow.getByRole('button', { name: `Unsubscribe from ${channel} (view hot)` }).click();
  await hotRow.waitFor({ state: 'detached' });
  await log('unsubscribe').filter({ has: page.locator('.pb-tester-view[data-view="hot"]') }).waitFor();
  await publish(channel, { upsert: [{ id: 'r4', temp: 99 }] });
  await defaultRow.getByTestId('records').filter({ hasText: /^4$/ }).waitFor();
  expect(await rows.count()).toBe(1);

  // a view name the protocol refuses is checked before it is sent
  await page.getByTestId('subscribe-view').fill('no spaces');
  expect(await page.getByTestId('subscribe').isDisabled()).toBe(true);
});
