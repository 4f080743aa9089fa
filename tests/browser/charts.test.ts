/**
 * The charts of `/` drawn from the server's series (docs/protocol.md §13), in headless Chromium
 * against the production server, with the simulator off and series declared for `kpi` and
 * `backlog` in a configuration file: the HTML has every card's line and the trends before any
 * script runs; the payload embeds the series packed, bounded by how often the figures changed
 * rather than by the window; a reload draws them full again; and after a dropped connection the
 * lines have no hole for the time the page was away.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page, type WebSocketRoute } from 'playwright-core';
import { startAppServer, type AppServer } from '../helpers/app-server';
import { runLengths, unpackSeries } from '@/lib/store/series-runs';
import { launchBrowser, stopAppAndBrowser } from '../helpers/browser';
import { embeddedEntries, embeddedSeries } from '../helpers/embedded-series';

const API_KEY = 'charts-test-key-0123456789';

let server: AppServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

const QUEUES = [
  { id: 'q-north', org: 'acme', department: 'support', queue: 'North Desk' },
  { id: 'q-south', org: 'acme', department: 'billing', queue: 'South Desk' },
  { id: 'q-east', org: 'globex', department: 'claims', queue: 'East Claims' },
];
const ORGS = ['acme', 'globex'];

function kpi(step: number) {
  return QUEUES.map((q, i) => ({ ...q, utilization: 0.7 + i * 0.05 + (step % 5) * 0.01, healthScore: 80 - i * 7 - (step % 3), slaRisk: 0.1 + i * 0.2 + (step % 4) * 0.05, agentsOnline: 20 + i }));
}

function backlog(step: number) {
  return QUEUES.map((q, i) => ({ ...q, waiting: 30 + i * 5 + (step % 7), oldestWaitS: 60 + i * 10 + step, handled: 1000 + step, abandoned: 10 + i }));
}

async function publish(channel: string, body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${server.url}/api/channels/${channel}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`publish to ${channel}: HTTP ${response.status} ${await response.text()}`);
}

/** Publishes new figures every 400 ms until stopped, as a live source does. */
function keepPublishing(): { stop(): Promise<void> } {
  let step = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      step++;
      await publish('kpi', { upsert: kpi(step) });
      await publish('backlog', { upsert: backlog(step) });
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function newPage(options: { javaScriptEnabled?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, ...options });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /hydrat|#41[89]|#42[35]/i.test(message.text())) errors.push(message.text());
  });
  return page;
}

interface DrawnLine {
  /** Values the line draws (its `data-points`). */
  points: number;
  /** Separate runs of the path: more than one means a hole. */
  runs: number;
}

/** Every line under `selector`: how many values it draws and in how many pieces. */
function drawn(page: Page, selector: string): Promise<DrawnLine[]> {
  return page.$$eval(selector, (paths) =>
    paths.map((p) => {
      const svgPoints = p.getAttribute('data-points') ?? p.closest('svg')?.getAttribute('data-points');
      return { points: Number(svgPoints), runs: (p.getAttribute('d') ?? '').split('M').length - 1 };
    }),
  );
}

const KPI_LINES = '.pb-dash-kpis .pb-grid--kpis .pb-sparkline__line';
const ORG_LINES = '.pb-dash-org .pb-sparkline__line';
const TREND_LINES = '#trends .pb-chart__line';

// ---- setup ----------------------------------------------------------------------------------

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'pulse-charts-'));
  const config = path.join(dir, 'pulse.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      channels: [
        { channel: 'kpi', series: { fields: ['utilization', 'healthScore', 'slaRisk'], resolutionMs: 1000, windowMs: 900_000 } },
        { channel: 'backlog', series: { fields: ['waiting', 'oldestWaitS'], resolutionMs: 1000, windowMs: 900_000 } },
      ],
    }),
  );
  [server, browser] = await Promise.all([startAppServer({ PULSE_SIMULATOR: 'off', PULSE_API_KEY: API_KEY, PULSE_CONFIG: config }), launchBrowser()]);
  // a few seconds of history before the first page opens
  const source = keepPublishing();
  await new Promise((resolve) => setTimeout(resolve, 4500));
  await source.stop();
}, 90_000);

afterEach(() => {
  expect(errors.splice(0)).toEqual([]);
});

afterAll(() => stopAppAndBrowser({ server, browser, contexts }));

// ---- tests ----------------------------------------------------------------------------------

it('draws every card and the trends in the HTML, before any script runs', async () => {
  const html = await (await fetch(`${server.url}/`)).text();
  expect(html).toContain('pb-sparkline__line');
  expect(html).toContain('pb-chart__line');

  const page = await newPage({ javaScriptEnabled: false });
  await page.goto(`${server.url}/`);
  const cards = await drawn(page, KPI_LINES);
  const orgs = await drawn(page, ORG_LINES);
  const trends = await drawn(page, TREND_LINES);
  // five KPI cards, three figures per organisation, two charts of a line per organisation
  expect(cards).toHaveLength(5);
  expect(orgs).toHaveLength(ORGS.length * 3);
  expect(trends).toHaveLength(ORGS.length * 2);
  for (const line of [...cards, ...orgs, ...trends]) {
    expect(line.points).toBeGreaterThanOrEqual(4);
    expect(line.runs).toBe(1);
  }
  // the headers read the change over the window
  expect(await page.locator('.pb-kpi__change').count()).toBe(5);
  expect(await page.locator('.pb-kpi__change').first().textContent()).toMatch(/in 15 min$/);
  // time labels, said to be UTC as the server cannot know the viewer's zone
  expect(await page.locator('#trends .pb-chart__x .pb-chart__tick').count()).toBeGreaterThan(0);
  expect(await page.locator('#trends .pb-chart__zone').first().textContent()).toBe('UTC');
});

it('embeds each view\'s series once, packed: the fields and records the page draws, a pair of entries per run of one value', async () => {
  const { packed, plain } = embeddedSeries(await (await fetch(`${server.url}/`)).text());
  // no series one entry per bucket; `kpi` and `backlog` once each, with the fields the cards draw
  expect(plain).toEqual([]);
  expect(packed.map((series) => series.fields)).toEqual([
    ['utilization', 'healthScore', 'slaRisk'],
    ['waiting', 'oldestWaitS'],
  ]);
  for (const series of packed) {
    const { records } = unpackSeries(series);
    // the records the page shows, each line the whole window
    expect(Object.keys(records).sort()).toEqual(QUEUES.map((q) => q.id).sort());
    const buckets = (series.end - series.start) / series.resolutionMs;
    let runs = 0;
    for (const id of Object.keys(records)) {
      for (const field of series.fields) {
        expect(records[id]![field]).toHaveLength(buckets);
        runs += runLengths(records[id]![field]!).length / 2;
      }
    }
    // bounded by how often the figures changed, not by the window: a few seconds of changes
    // in a 15-minute window embed a small fraction of its buckets
    const lines = QUEUES.length * series.fields.length;
    expect(embeddedEntries(series)).toBe(2 * runs);
    expect(embeddedEntries(series)).toBeLessThan((lines * buckets) / 10);
  }
});

it('draws full charts again after a reload', async () => {
  const page = await newPage();
  await page.goto(`${server.url}/`);
  await page.locator('.pb-header .pb-conn[data-state="open"]').waitFor();
  const first = await drawn(page, TREND_LINES);

  await page.reload();
  // at once, from the server render
  const again = await drawn(page, TREND_LINES);
  expect(again).toHaveLength(ORGS.length * 2);
  for (const [i, line] of again.entries()) expect(line.points).toBeGreaterThanOrEqual(first[i]!.points);
  for (const line of await drawn(page, `${KPI_LINES}, ${ORG_LINES}`)) expect(line.points).toBeGreaterThanOrEqual(4);

  // and once the socket is live, still full (the subscription resumed the rendered series)
  await page.locator('.pb-header .pb-conn[data-state="open"]').waitFor();
  await page.waitForTimeout(500);
  for (const line of await drawn(page, `${KPI_LINES}, ${ORG_LINES}, ${TREND_LINES}`)) expect(line.points).toBeGreaterThanOrEqual(4);
  // the browser relabels the time axis in local time
  expect(await page.locator('#trends .pb-chart__zone').count()).toBe(0);
});

it('has no hole for the time the connection was away', async () => {
  const page = await newPage();
  const sockets: WebSocketRoute[] = [];
  let hold = false;
  await page.routeWebSocket('**/api/ws', (ws) => {
    sockets.push(ws);
    if (!hold) ws.connectToServer();
  });
  const source = keepPublishing();
  try {
    await page.goto(`${server.url}/`);
    await page.locator('.pb-header .pb-conn[data-state="open"]').waitFor();
    await page.waitForTimeout(1500);
    const before = await drawn(page, TREND_LINES);

    // the socket drops, and stays away for about four buckets while figures keep changing
    const awayFrom = Date.now();
    hold = true;
    await sockets.at(-1)!.close({ code: 1011, reason: 'cut by the test' });
    await page.locator('.pb-header .pb-conn[data-state="reconnecting"]').waitFor({ timeout: 5000 });
    await page.waitForTimeout(4000);
    const awayTo = Date.now();
    hold = false;
    for (const ws of sockets) await ws.close({ code: 1011, reason: 'released' }).catch(() => {});
    await page.locator('.pb-header .pb-conn[data-state="open"]').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(1500);

    const after = await drawn(page, TREND_LINES);
    for (const [i, line] of after.entries()) {
      // one piece, and every second away is drawn
      expect(line.runs).toBe(1);
      expect(line.points).toBeGreaterThanOrEqual(before[i]!.points + 5);
    }
    for (const line of await drawn(page, `${KPI_LINES}, ${ORG_LINES}`)) expect(line.runs).toBe(1);

    // what the page draws for the time away is what the server kept: acme's total waiting at a
    // second in the middle of it, read with the chart's keyboard read-out
    const served = (await (await fetch(`${server.url}/api/channels/backlog/series?fields=waiting`)).json()) as {
      series: { start: number; resolutionMs: number; records: Record<string, { waiting: Array<number | null> }> };
    };
    const { start, resolutionMs, records } = served.series;
    const t = Math.floor((awayFrom + awayTo) / 2 / resolutionMs) * resolutionMs;
    const index = (t - start) / resolutionMs;
    const expected = records['q-north']!.waiting[index]! + records['q-south']!.waiting[index]!;
    const label = new Date(t).toTimeString().slice(0, 8);
    const chart = page.locator('#trends .pb-chart').first();
    await chart.locator('svg').focus();
    await page.keyboard.press('End');
    for (let i = 0; i < 60 && (await chart.locator('.pb-chart__when').textContent())?.replace(/^At /, '') !== label; i++) await page.keyboard.press('ArrowLeft');
    expect((await chart.locator('.pb-chart__when').textContent())?.replace(/^At /, '')).toBe(label);
    expect(await chart.locator('[data-series="acme"] .pb-chart__value').textContent()).toBe(String(expected));
  } finally {
    await source.stop();
  }
}, 60_000);
