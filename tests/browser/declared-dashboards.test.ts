/**
 * Dashboards declared in the configuration file (docs/dashboards.md), against the production
 * server started with the test's own file and the simulator off (the test publishes every
 * record): `/d/<slug>` carries the panels' data in the HTML before any script runs and the
 * series its charts draw in the payload, then goes live; a viewer of another tenant gets a
 * "not found" page with no data; a panel over a channel the session may not subscribe to shows
 * "not permitted" and none of its data; `/d` lists a viewer's own tenant's dashboards; a phone-
 * width screen stacks the panels without scrolling sideways.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { unpackSeries } from '@/lib/store/series-runs';
import { launchBrowser, stopAppAndBrowser } from '../helpers/browser';
import { embeddedEntries, embeddedSeries } from '../helpers/embedded-series';
import { signToken } from '../helpers/ws-client';

const SECRET = 'declared-dashboards-secret-0123456789abcdef';
const API_KEY = 'declared-dashboards-key-0123456789';

/** Strings only one channel's records hold: finding one in a page means that data was rendered. */
const MARK = { orders: 'order-7f3a', couriers: 'zone-7f3a', audit: 'audit-7f3a', globex: 'globex-7f3a' };

const CONFIG = {
  channels: [{ channel: 'orders', tenant: 'acme', series: { fields: ['total'], resolutionMs: 1000, windowMs: 60_000 } }],
  dashboards: [
    {
      slug: 'night-shift',
      title: 'Night shift',
      description: 'Orders and couriers, as the night desk sees them.',
      tenant: 'acme',
      panels: [
        { kind: 'stat', title: 'Open orders', channel: 'orders', aggregate: 'count', width: 3 },
        { kind: 'stat', title: 'Order value', channel: 'orders', field: 'total', aggregate: 'sum', width: 3 },
        {
          kind: 'table',
          title: 'Orders',
          channel: 'orders',
          columns: [{ field: 'customer', label: 'Customer' }, { field: 'total', label: 'Total', format: 'number' }, { field: 'status', format: 'status' }],
          sort: { field: 'total', direction: 'desc' },
          width: 6,
        },
        { kind: 'timeseries', title: 'Order value over time', channel: 'orders', fields: ['total'], aggregate: 'sum', width: 6 },
        { kind: 'barlist', title: 'Couriers by zone', channel: 'couriers', groupBy: 'zone', width: 6 },
        { kind: 'table', title: 'Audit trail', channel: 'audit', columns: [{ field: 'entry' }], width: 12 },
      ],
    },
    { slug: 'globex-ops', title: 'Globex operations', tenant: 'globex', panels: [{ kind: 'table', title: 'Orders', channel: 'orders', columns: [{ field: 'customer' }] }] },
  ],
};

let server: AppServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

async function publish(tenant: string, channel: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.url}/api/channels/${channel}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'x-tenant-id': tenant, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`publish to ${tenant}/${channel}: HTTP ${response.status} ${await response.text()}`);
}

function token(tenant: string, sub: string, subscribe?: string[]): Promise<string> {
  return signToken(SECRET, { sub, tenant, ...(subscribe ? { channels: { subscribe } } : {}) }, { expiresInS: 3600 });
}

/** `path` as the server renders it: status and body; with `rsc` the payload a client navigation reads. */
async function render(path: string, options: { cookie?: string; rsc?: boolean } = {}): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = `pulse_token=${options.cookie}`;
  if (options.rsc) headers.rsc = '1';
  const response = await fetch(`${server.url}${path}`, { headers });
  return { status: response.status, body: await response.text() };
}

/** Which channels' data a page carries. */
function rendered(body: string): string[] {
  return Object.entries(MARK)
    .filter(([, mark]) => body.includes(mark))
    .map(([name]) => name);
}

async function newPage(cookie: string, options: { width?: number; javaScript?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1440, height: 2000 }, javaScriptEnabled: options.javaScript ?? true });
  contexts.push(context);
  await context.addCookies([{ name: 'pulse_token', value: cookie, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /hydrat|#41[89]|#42[35]/i.test(message.text())) errors.push(message.text());
  });
  return page;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-dashboards-'));
  const configPath = join(dir, 'pulse.config.json');
  writeFileSync(configPath, JSON.stringify(CONFIG));
  [server, browser] = await Promise.all([
    startAppServer({ PULSE_ANONYMOUS: '0', PULSE_JWT_SECRET: SECRET, PULSE_API_KEY: API_KEY, PULSE_SIMULATOR: 'off', PULSE_CONFIG: configPath }),
    launchBrowser(),
  ]);
  await publish('acme', 'orders', {
    upsert: [
      { id: 'o-1', customer: `Ada ${MARK.orders}`, total: 1250, status: 'open' },
      { id: 'o-2', customer: `Brook ${MARK.orders}`, total: 750, status: 'open' },
    ],
  });
  await publish('acme', 'couriers', {
    upsert: [
      { id: 'c-1', zone: `north-${MARK.couriers}` },
      { id: 'c-2', zone: `north-${MARK.couriers}` },
      { id: 'c-3', zone: `south-${MARK.couriers}` },
    ],
  });
  await publish('acme', 'audit', { upsert: [{ id: 'a-1', entry: `login ${MARK.audit}` }] });
  await publish('globex', 'orders', { upsert: [{ id: 'g-1', customer: `Globex ${MARK.globex}` }] });
});

afterEach(() => {
  expect(errors).toEqual([]);
});

afterAll(() => stopAppAndBrowser({ server, browser, contexts }));

describe('server rendering', () => {
  it("renders every permitted panel's data into the HTML, and the series its charts draw into the payload", async () => {
    const cookie = await token('acme', 'ann');
    const html = await render('/d/night-shift', { cookie });
    expect(html.status).toBe(200);
    expect(rendered(html.body)).toEqual(['orders', 'couriers', 'audit']);
    const rsc = await render('/d/night-shift', { cookie, rsc: true });
    // the view of `orders` carries the kept field's series (docs/protocol.md §13), packed: each
    // order's total was published once, so its line is at most two runs (no value yet, then the
    // total) however many buckets the window has
    const { packed, plain } = embeddedSeries(rsc.body);
    expect(plain).toEqual([]);
    expect(packed).toHaveLength(1);
    expect(packed[0]).toMatchObject({ resolutionMs: 1000, fields: ['total'] });
    expect(packed[0]!.runs['o-1']!.total).toContain(1250);
    const { records } = unpackSeries(packed[0]!);
    expect(Object.keys(records).sort()).toEqual(['o-1', 'o-2']);
    expect(records['o-1']!.total!.at(-1)).toBe(1250);
    expect(embeddedEntries(packed[0]!)).toBeLessThanOrEqual(2 * 2 * 2);
  });

  it('shows the data with scripts off: the values are in the markup itself', async () => {
    const page = await newPage(await token('acme', 'ann'), { javaScript: false });
    await page.goto(`${server.url}/d/night-shift`);
    const text = await page.locator('main').innerText();
    expect(text).toContain('Night shift');
    expect(text).toContain(`Ada ${MARK.orders}`);
    expect(text).toContain(`north-${MARK.couriers}`);
    // the count of open orders and the sum of their value
    const stat = (title: string) => page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) }).innerText();
    expect(await stat('Open orders')).toMatch(/\b2\b/);
    expect(await stat('Order value')).toMatch(/2,000|2000|2\.0k|2k/i);
  });

  it('renders a dashboard of another tenant as not found, with no data, as one that does not exist', async () => {
    const globex = await token('globex', 'gil');
    for (const path of ['/d/night-shift', '/d/no-such-dashboard']) {
      const page = await render(path, { cookie: globex });
      expect(page.status).toBe(404);
      expect(page.body).toContain('Dashboard not found');
      expect(rendered(page.body)).toEqual([]);
      expect(page.body).not.toContain('Night shift');
    }
    expect(rendered((await render('/d/globex-ops', { cookie: globex })).body)).toEqual(['globex']);
  });

  it('asks to sign in, with no data, without a session', async () => {
    for (const path of ['/d', '/d/night-shift']) {
      const page = await render(path);
      expect(page.body).toContain('Sign in to see live data');
      expect(rendered(page.body)).toEqual([]);
      expect(page.body).not.toContain('Night shift');
    }
  });

  it("renders a panel over a channel the session may not subscribe to as not permitted, without its data", async () => {
    const cookie = await token('acme', 'courier-desk', ['orders', 'couriers']);
    for (const rsc of [false, true]) {
      const page = await render('/d/night-shift', { cookie, rsc });
      expect(rendered(page.body)).toEqual(['orders', 'couriers']);
    }
    const browserPage = await newPage(cookie);
    await browserPage.goto(`${server.url}/d/night-shift`);
    const audit = browserPage.locator('section', { has: browserPage.getByRole('heading', { name: 'Audit trail' }) });
    await expect(audit.innerText()).resolves.toMatch(/Not permitted/);
  });

  it("lists the viewer's tenant's dashboards on /d, with their panel counts, and links to /d from the navigation", async () => {
    const acme = await render('/d', { cookie: await token('acme', 'ann') });
    expect(acme.body).toContain('Night shift');
    expect(acme.body).toContain('Orders and couriers, as the night desk sees them.');
    expect(acme.body).toContain('6 panels');
    expect(acme.body).toContain('href="/d/night-shift"');
    expect(acme.body).not.toContain('Globex operations');
    const globex = await render('/d', { cookie: await token('globex', 'gil') });
    expect(globex.body).toContain('Globex operations');
    expect(globex.body).not.toContain('Night shift');
    expect((await render('/', { cookie: await token('acme', 'ann') })).body).toMatch(/<a[^>]*href="\/d"[^>]*>Dashboards<\/a>/);
  });
});

describe('in the browser', () => {
  it('goes live: a published record appears without a reload', async () => {
    const page = await newPage(await token('acme', 'ann'));
    await page.goto(`${server.url}/d/night-shift`);
    await page.locator('.pb-header .pb-conn', { hasText: /live/i }).waitFor({ timeout: 15_000 });
    await publish('acme', 'orders', { upsert: [{ id: 'o-3', customer: `Cleo late ${MARK.orders}`, total: 3000, status: 'open' }] });
    await page.getByText(`Cleo late ${MARK.orders}`).waitFor({ timeout: 10_000 });
    await publish('acme', 'orders', { delete: ['o-3'] });
  });

  it('stacks the panels at phone width without scrolling sideways', async () => {
    const page = await newPage(await token('acme', 'ann'), { width: 390 });
    await page.goto(`${server.url}/d/night-shift`);
    await page.getByText(`Ada ${MARK.orders}`).first().waitFor();
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    const lefts = await page.locator('.pb-pgrid > section').evaluateAll((sections) => sections.map((s) => Math.round(s.getBoundingClientRect().left)));
    expect(new Set(lefts).size).toBe(1);
  });
});

describe("the demo's dashboards, with no configuration file", () => {
  let demo: AppServer;
  beforeAll(async () => {
    // the defaults: anonymous mode, the simulator on, no PULSE_CONFIG
    demo = await startAppServer({ PULSE_SIMULATOR: 'on' });
  });
  afterAll(async () => {
    await demo?.stop();
  });

  it('are listed on /d and served over the simulator’s data', async () => {
    const index = await fetch(`${demo.url}/d`).then((response) => response.text());
    expect(index).toContain('href="/d/operations"');
    expect(index).toContain('Operations overview');
    const page = await fetch(`${demo.url}/d/operations`);
    expect(page.status).toBe(200);
    // the backlog table's queues, as the simulator names them, are in the HTML
    expect(await page.text()).toMatch(/Backlog by queue[\s\S]*<td[^>]*>[^<]+<\/td>/);
  });

  it.each(['operations', 'fleet', 'intraday'])('/d/%s fits a phone-width screen: no sideways scrolling', async (slug) => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${demo.url}/d/${slug}`);
    await page.locator('.pb-header .pb-conn', { hasText: /live/i }).waitFor({ timeout: 15_000 });
    const { scrollWidth, clientWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth }));
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
  });
});
