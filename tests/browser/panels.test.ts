/**
 * The panel kit in headless Chromium, on a dashboard declared in the test's own configuration
 * file (the simulator off; the test publishes every record and event): a table sorts when a
 * header is clicked and says so with `aria-sort`; a stat follows a publish with no reload; an
 * event feed shows events at or above its priority and toasts the critical ones; at phone width
 * the panels stack without scrolling sideways.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { launchBrowser } from '../helpers/browser';
import { signToken } from '../helpers/ws-client';

const SECRET = 'panels-test-secret-0123456789abcdef';
const API_KEY = 'panels-test-key-0123456789abcdef';
const TENANT = 'acme';

const CONFIG = {
  channels: [{ channel: 'machines', tenant: TENANT, series: { fields: ['load'], resolutionMs: 1000, windowMs: 60_000 } }],
  dashboards: [
    {
      slug: 'plant',
      title: 'Plant floor',
      tenant: TENANT,
      panels: [
        { kind: 'stat', title: 'Total load', channel: 'machines', field: 'load', aggregate: 'sum', unit: 'kW', width: 4, thresholds: [{ value: 500, tone: 'bad' }] },
        { kind: 'stat', title: 'Machines', channel: 'machines', aggregate: 'count', width: 4 },
        { kind: 'barlist', title: 'Machines by line', channel: 'machines', groupBy: 'line', width: 4 },
        {
          kind: 'table',
          title: 'Machines table',
          channel: 'machines',
          columns: [
            { field: 'name', label: 'Name' },
            { field: 'load', label: 'Load', format: 'bar' },
            { field: 'status', label: 'Status', format: 'status' },
          ],
          width: 8,
        },
        { kind: 'events', title: 'Signals', channel: 'signals', minPriority: 'high', width: 4 },
        { kind: 'timeseries', title: 'Load over time', channel: 'machines', fields: ['load'], aggregate: 'sum', width: 12 },
      ],
    },
  ],
};

let server: AppServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

async function publish(channel: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.url}/api/channels/${channel}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'x-tenant-id': TENANT, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`publish to ${channel}: HTTP ${response.status} ${await response.text()}`);
}

async function openDashboard(width = 1440): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 2000 } });
  contexts.push(context);
  const cookie = await signToken(SECRET, { sub: 'pat', tenant: TENANT }, { expiresInS: 3600 });
  await context.addCookies([{ name: 'pulse_token', value: cookie, url: server.url, httpOnly: true, sameSite: 'Lax' }]);
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /hydrat|#41[89]|#42[35]/i.test(message.text())) errors.push(message.text());
  });
  await page.goto(`${server.url}/d/plant`);
  await page.locator('.pb-header .pb-conn', { hasText: /live/i }).waitFor();
  return page;
}

/** The panel whose heading is `title`. */
function panel(page: Page, title: string) {
  return page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });
}

/** The machines' ids in the table's row order. */
function rowIds(page: Page): Promise<string[]> {
  return panel(page, 'Machines table').locator('tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-id') ?? ''));
}

/** Retries `assert` on what `read()` gives until it passes, or throws its last failure after `timeoutMs`. */
async function eventually<T>(read: () => Promise<T>, assert: (value: T) => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      assert(await read());
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-panels-'));
  const configPath = join(dir, 'pulse.config.json');
  writeFileSync(configPath, JSON.stringify(CONFIG));
  [server, browser] = await Promise.all([
    startAppServer({ PULSE_ANONYMOUS: '0', PULSE_JWT_SECRET: SECRET, PULSE_API_KEY: API_KEY, PULSE_SIMULATOR: 'off', PULSE_CONFIG: configPath }),
    launchBrowser(),
  ]);
  await publish('machines', {
    upsert: [
      { id: 'm-b', name: 'Press B', line: 'north', load: 120, status: 'online' },
      { id: 'm-a', name: 'Lathe A', line: 'north', load: 40, status: 'degraded' },
      { id: 'm-c', name: 'Oven C', line: 'south', load: 200, status: 'offline' },
    ],
  });
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close().catch(() => {});
  expect(errors).toEqual([]);
  errors.length = 0;
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('panels', () => {
  it('sorts a table by the clicked header, ascending then descending, and says so with aria-sort', async () => {
    const page = await openDashboard();
    const table = panel(page, 'Machines table');
    const load = table.getByRole('columnheader', { name: /Load/ });
    expect(await load.getAttribute('aria-sort')).toBe('none');

    await load.getByRole('button').click();
    await eventually(() => load.getAttribute('aria-sort'), (v) => expect(v).toBe('ascending'));
    expect(await rowIds(page)).toEqual(['m-a', 'm-b', 'm-c']);

    await load.getByRole('button').click();
    await eventually(() => load.getAttribute('aria-sort'), (v) => expect(v).toBe('descending'));
    expect(await rowIds(page)).toEqual(['m-c', 'm-b', 'm-a']);

    // sorted by name now: the load column is no longer the sort
    await table.getByRole('columnheader', { name: /Name/ }).getByRole('button').click();
    await eventually(() => rowIds(page), (v) => expect(v).toEqual(['m-a', 'm-c', 'm-b']));
    expect(await load.getAttribute('aria-sort')).toBe('none');

    // a live change moves the row to its sorted place
    await load.getByRole('button').click();
    await publish('machines', { upsert: [{ id: 'm-a', load: 999 }] });
    await eventually(() => rowIds(page), (v) => expect(v).toEqual(['m-b', 'm-c', 'm-a']));
    await publish('machines', { upsert: [{ id: 'm-a', load: 40 }] });
  });

  it('updates a stat live, with its threshold tone and its own freshness', async () => {
    const page = await openDashboard();
    const stat = panel(page, 'Total load');
    const value = stat.getByTestId('stat-value');
    await eventually(() => value.innerText(), (v) => expect(v).toMatch(/^360\s*kW$/));
    await eventually(() => stat.getAttribute('class'), (v) => expect(v).not.toContain('pb-stat--bad'));

    await publish('machines', { upsert: [{ id: 'm-d', name: 'Kiln D', line: 'south', load: 300, status: 'online' }] });
    await eventually(() => value.innerText(), (v) => expect(v).toMatch(/^660\s*kW$/));
    await eventually(() => stat.getAttribute('class'), (v) => expect(v).toContain('pb-stat--bad'));
    expect(await stat.locator('.pb-live').innerText()).toMatch(/Live|Just now|\ds ago/);
    await eventually(() => panel(page, 'Machines').getByTestId('stat-value').innerText(), (v) => expect(v).toBe('4'));

    await publish('machines', { delete: ['m-d'] });
    await eventually(() => value.innerText(), (v) => expect(v).toMatch(/^360\s*kW$/));
  });

  it('shows events at or above its priority, and toasts the critical ones', async () => {
    const page = await openDashboard();
    const feed = panel(page, 'Signals');
    await publish('signals', {
      events: [
        { type: 'signal.low', priority: 'low', data: { message: 'Filter change due soon' } },
        { type: 'signal.fault', priority: 'critical', data: { message: 'Oven C overheating' } },
      ],
    });
    await feed.locator('.pb-alert', { hasText: 'Oven C overheating' }).waitFor();
    await page.locator('.pb-toast', { hasText: 'Oven C overheating' }).waitFor();
    expect(await feed.locator('.pb-alert').allInnerTexts()).toEqual([expect.stringContaining('Oven C overheating')]);
  });

  it('stacks the panels at phone width without scrolling sideways', async () => {
    const page = await openDashboard(390);
    await panel(page, 'Machines table').waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const widths = await page.locator('.pb-pgrid > section').evaluateAll((sections) => sections.map((s) => Math.round(s.getBoundingClientRect().width)));
    expect(widths.length).toBe(CONFIG.dashboards[0].panels.length);
    expect(new Set(widths).size).toBe(1);
  });
});
