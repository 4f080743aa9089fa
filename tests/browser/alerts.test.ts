/**
 * An alerts panel on a dashboard declared in a test's own configuration file, in real
 * Chromium: viewers whose token may publish to the alerts channel get the actions, others see
 * the state only; an acknowledgement made on one page shows on another within a batch.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { AppServer } from '../helpers/app-server';
import { horizontalOverflow, openPage, publishOverHttp, screenshotPath, startAppAndBrowser, stopAppAndBrowser } from '../helpers/browser';
import { signToken } from '../helpers/ws-client';

const SECRET = 'alerts-browser-secret-0123456789abcdef';
const API_KEY = 'alerts-browser-key-0123456789';

let server: AppServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

const publish = (channel: string, body: Record<string, unknown>) => publishOverHttp(server.url, channel, body, { apiKey: API_KEY, tenant: 'demo' });

/** A page of dashboard `slug` signed in as `user`, whose token may publish where `publish` says. */
async function open(user: string, publish: string[] | undefined, width = 1440, slug = 'ops'): Promise<Page> {
  const token = await signToken(SECRET, { sub: user, tenant: 'demo', channels: { subscribe: ['*'], ...(publish ? { publish } : {}) } }, { expiresInS: 3600 });
  const session = { origin: server.url, token };
  const page = await openPage(browser, { url: `${server.url}/d/${slug}`, viewport: { width, height: 900 }, session, contexts, errors, errorLabel: user, hydrationErrors: false });
  await page.waitForSelector(slug === 'ops' ? '[data-alert-id="disk-full"]' : '.pb-alerts-panel');
  return page;
}

const row = (page: Page, id: string) => page.locator(`[data-alert-id="${id}"]`);

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-alerts-'));
  const config = join(dir, 'pulse.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      dashboards: [
        {
          slug: 'ops',
          title: 'Operations alerts',
          tenant: 'demo',
          panels: [
            { kind: 'alerts', title: 'Incidents', channel: 'ops-alerts', width: 8 },
            { kind: 'alerts', title: 'All incidents', channel: 'ops-alerts', showResolved: true, limit: 3, width: 4 },
          ],
        },
        {
          slug: 'intraday',
          title: 'Intraday console',
          tenant: 'demo',
          panels: [
            {
              kind: 'table',
              title: 'Attendance',
              channel: 'attendance',
              columns: [
                { field: 'queue', label: 'Queue' },
                { field: 'checkedIn', label: 'Checked in', format: 'bar' },
                { field: 'onBreak', label: 'On break', format: 'number' },
                { field: 'checkedOut', label: 'Checked out', format: 'number' },
              ],
              width: 7,
            },
            { kind: 'alerts', title: 'Incidents', channel: 'incidents', limit: 8, width: 5 },
          ],
        },
      ],
    }),
  );
  ({ server, browser } = await startAppAndBrowser({ PULSE_CONFIG: config, PULSE_JWT_SECRET: SECRET, PULSE_API_KEY: API_KEY, PULSE_ANONYMOUS: '0', PULSE_SIMULATOR: '1', PULSE_BATCH_MS: '50' }));
  const now = Date.now();
  await publish('ops-alerts', {
    upsert: [
      { id: 'disk-full', status: 'open', title: 'Disk full on db-1: 97% used', priority: 'high', openedAt: now - 95_000 },
      { id: 'sla-billing', status: 'open', title: 'SLA at risk on Billing (acme): 82%, oldest wait 140 s', priority: 'critical', openedAt: now - 30_000 },
      { id: 'node-offline', status: 'escalated', title: 'Node LON-014 offline for 10 minutes', priority: 'critical', openedAt: now - 700_000, escalatedBy: 'simulator', escalatedAt: now - 100_000 },
      { id: 'short-staffed', status: 'acknowledged', title: 'Claims Intake (globex) short-staffed: 19 of 26 agents available, 3 on break', priority: 'normal', openedAt: now - 400_000, acknowledgedBy: 'grace', acknowledgedAt: now - 200_000 },
      { id: 'drained', status: 'resolved', title: 'Payments backlog cleared', priority: 'normal', openedAt: now - 900_000, resolvedBy: 'simulator', resolvedAt: now - 60_000 },
    ],
  });
});

afterAll(() => stopAppAndBrowser({ server, browser, contexts }));

it('renders the alerts in the HTML, before scripts, without actions', async () => {
  const token = await signToken(SECRET, { sub: 'reader', tenant: 'demo', channels: { subscribe: ['*'], publish: ['ops-alerts'] } }, { expiresInS: 600 });
  const html = await (await fetch(`${server.url}/d/ops`, { headers: { cookie: `pulse_token=${token}` } })).text();
  expect(html).toContain('Disk full on db-1');
  expect(html).toContain('data-status="escalated"');
  expect(html).not.toContain('>Acknowledge<');
});

it('offers the legal actions only to a viewer who may publish, and shows an acknowledgement on every page', async () => {
  const ada = await open('ada', ['ops-alerts']);
  const bob = await open('bob', ['ops-*']);
  const reader = await open('reader', undefined);

  // open → acknowledge, escalate, resolve; escalated → acknowledge, resolve; acknowledged → escalate, resolve
  const panel = ada.locator('.pb-alerts-panel').first();
  await panel.locator('[data-alert-id="disk-full"] button', { hasText: 'Acknowledge' }).waitFor();
  expect(await panel.locator('[data-alert-id="disk-full"] button').allTextContents()).toEqual(['Acknowledge', 'Escalate', 'Resolve']);
  expect(await panel.locator('[data-alert-id="node-offline"] button').allTextContents()).toEqual(['Acknowledge', 'Resolve']);
  expect(await panel.locator('[data-alert-id="short-staffed"] button').allTextContents()).toEqual(['Escalate', 'Resolve']);

  // the reader's socket is as live as the others, and it still has no buttons
  await bob.locator('[data-alert-id="disk-full"] button', { hasText: 'Acknowledge' }).first().waitFor();
  await reader.waitForSelector('.pb-alerts-panel .pb-live--live');
  await reader.waitForTimeout(500);
  expect(await reader.locator('.pb-alerts-panel button').count()).toBe(0);

  await panel.locator('[data-alert-id="disk-full"] button', { hasText: 'Acknowledge' }).click();
  for (const page of [bob, reader, ada]) {
    const acknowledged = row(page, 'disk-full').first();
    await page.waitForSelector('.pb-alerts-panel [data-alert-id="disk-full"][data-status="acknowledged"]', { timeout: 5000 });
    expect(await acknowledged.locator('.pb-arow__who').textContent()).toMatch(/^Acknowledged by ada · /);
  }
  // now acknowledged: the actions left are escalate and resolve, on the other operator's page too
  await bob.waitForFunction(() => {
    const buttons = document.querySelector('.pb-alerts-panel')?.querySelectorAll('[data-alert-id="disk-full"] button') ?? [];
    return [...buttons].map((b) => b.textContent).join() === 'Escalate,Resolve';
  });

  await bob.locator('.pb-alerts-panel').first().locator('[data-alert-id="disk-full"] button', { hasText: 'Resolve' }).click();
  // a resolved alert leaves the panel that hides resolved ones
  await ada.waitForSelector('.pb-alerts-panel >> nth=0 >> [data-alert-id="disk-full"]', { state: 'detached', timeout: 5000 });
  expect(errors).toEqual([]);
});

it('looks right at desktop and phone width, with no horizontal scrolling', async () => {
  await publish('ops-alerts', { upsert: [{ id: 'disk-full', status: 'open', title: 'Disk full on db-1: 97% used', priority: 'high', openedAt: Date.now() - 95_000, acknowledgedBy: null, acknowledgedAt: null, resolvedBy: null, resolvedAt: null }] });
  for (const width of [1440, 390]) {
    const page = await open(`shot-${width}`, ['ops-alerts'], width);
    await page.locator('.pb-alerts-panel [data-alert-id="disk-full"] button', { hasText: 'Acknowledge' }).first().waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath(`alerts-panel-${width}.png`), fullPage: width === 390 });
  }
  expect(errors).toEqual([]);
});

it("shows the simulator's attendance and its incidents opening on their own", async () => {
  for (const width of [1440, 390]) {
    const page = await open(`console-${width}`, ['incidents'], width, 'intraday');
    // every queue's attendance, and at least one incident the simulator opened
    await page.waitForFunction(() => document.querySelectorAll('.pb-ptable tbody tr').length >= 10, undefined, { timeout: 15_000 });
    await page.waitForSelector('.pb-alerts-panel [data-alert-id]', { timeout: 60_000 });
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: screenshotPath(`intraday-console-${width}.png`), fullPage: true });
  }
  expect(errors).toEqual([]);
});
