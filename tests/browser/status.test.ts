/**
 * /status in headless Chromium against the production server started with PULSE_API_KEY: the
 * page asks for the key (and refuses a wrong one), shows figures and a connection list that
 * follow real `ws` clients, kicks one (close 1008), keeps the key for the tab only, forgets it
 * on request, opens with the server's recent figures already charted, and says so when the
 * server goes away.
 */
import { type Browser, type Page } from 'playwright-core';
import type { AppServer } from '../helpers/app-server';
import { openPage, startAppAndBrowser, stopAppAndBrowser } from '../helpers/browser';
import { TestClient } from '../helpers/ws-client';

const API_KEY = 'status-page-test-key-0123456789';
const KEY_STORAGE = 'pulseboard.adminKey';

let server: AppServer;
let browser: Browser;
let page: Page;
const clients: TestClient[] = [];
const pageErrors: string[] = [];

/** An anonymous client subscribed to `kpi`, as a dashboard would be. */
async function viewer(): Promise<TestClient & { welcome: Record<string, unknown> }> {
  const client = await TestClient.connect(server.wsUrl);
  clients.push(client);
  const reply = await client.request({ type: 'subscribe', channel: 'kpi' });
  expect(reply.ok).toBe(true);
  return client;
}

function text(selector: string): Promise<string | null> {
  return page.locator(selector).first().textContent();
}

/** Waits until the element's text is exactly `expected` (the page refreshes every second). */
async function waitForText(selector: string, expected: string, timeout = 10_000): Promise<void> {
  await page
    .waitForFunction(([s, e]) => document.querySelector(s)?.textContent?.trim() === e, [selector, expected] as const, { timeout })
    .catch(async () => {
      throw new Error(`${selector}: expected "${expected}", found "${await text(selector)}"`);
    });
}

const COUNT = '[data-testid="connection-count"]';
const CONNECTIONS_CARD = 'section[aria-label="Connections"] .pb-kpi__number';

beforeAll(async () => {
  ({ server, browser } = await startAppAndBrowser({ PULSE_API_KEY: API_KEY }));
  page = await openPage(browser, { errors: pageErrors, hydrationErrors: false });
});

afterAll(async () => {
  for (const client of clients) client.socket.terminate();
  await stopAppAndBrowser({ server, browser });
});

it('asks for the admin key, refuses a wrong one and accepts the right one', async () => {
  await page.goto(`${server.url}/status`);
  const input = page.getByLabel('Admin API key');
  await input.waitFor();

  await input.fill('not-the-key');
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByText('The server refused this key').waitFor();
  expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBeNull();

  await input.fill(API_KEY);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('heading', { name: 'Connected clients' }).waitFor();
  await waitForText(COUNT, '0');
  await waitForText(CONNECTIONS_CARD, '0');
  // Kept for this tab only.
  expect(await page.evaluate((k) => [sessionStorage.getItem(k), localStorage.getItem(k)], KEY_STORAGE)).toEqual([API_KEY, null]);
});

it('shows connections and subscriptions as clients come and go, and kicks one with 1008', async () => {
  const [a, b, c] = [await viewer(), await viewer(), await viewer()];
  await waitForText(COUNT, '3');
  await waitForText(CONNECTIONS_CARD, '3');
  await waitForText('section[aria-label="Subscriptions"] .pb-kpi__number', '3');
  // The Instances panel: this server alone (memory engine), with its three connections.
  const instanceRow = `[data-instance="${a.welcome.instance}"]`;
  await page.waitForFunction((s) => /^3 ·/.test(document.querySelector(`${s} .pb-status-bars__count`)?.textContent?.trim() ?? ''), instanceRow);
  expect(await page.locator(instanceRow).textContent()).toContain('this page');
  expect(await page.locator('[data-instance]').count()).toBe(1);
  for (const client of [a, b, c]) {
    const row = page.locator(`tr[data-connection-id="${client.welcome.connectionId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(String(client.welcome.user));
    expect(await row.textContent()).toContain('kpi');
  }

  await page.getByRole('button', { name: `Kick connection ${b.welcome.connectionId}` }).click();
  expect((await b.closed).code).toBe(1008);
  await page.locator(`tr[data-connection-id="${b.welcome.connectionId}"]`).waitFor({ state: 'detached', timeout: 5000 });
  await waitForText(COUNT, '2');
  await waitForText(CONNECTIONS_CARD, '2');

  a.socket.close();
  await a.closed;
  await waitForText(COUNT, '1');
  expect(await page.locator('tr[data-connection-id]').count()).toBe(1);
});

it('keeps the key across a reload, asks again when it stops working or is forgotten', async () => {
  await page.reload();
  await page.getByRole('heading', { name: 'Connected clients' }).waitFor();
  await waitForText(COUNT, '1');

  await page.getByRole('button', { name: 'Forget key' }).click();
  await page.getByText('The key was forgotten for this tab').waitFor();
  expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBeNull();
  expect(await page.locator('tr[data-connection-id]').count()).toBe(0);

  // A stored key the server no longer accepts is dropped with a clear message.
  await page.evaluate((k) => sessionStorage.setItem(k, 'an-old-key'), KEY_STORAGE);
  await page.reload();
  await page.getByText('no longer accepts the key').waitFor();
  expect(await page.evaluate((k) => sessionStorage.getItem(k), KEY_STORAGE)).toBeNull();

  await page.getByLabel('Admin API key').fill(API_KEY);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await waitForText(COUNT, '1');
});

it('opens with the server’s recent figures already drawn, and its charts keep growing', async () => {
  // The server has been up for the tests above: it has kept its figures of every second since.
  const uptime = await page.evaluate(async (key) => (await (await fetch('/api/ws/stats', { headers: { authorization: `Bearer ${key}` } })).json()).uptimeS, API_KEY);
  if (uptime < 8) await new Promise((resolve) => setTimeout(resolve, (8 - uptime) * 1000));
  await page.reload();
  // The charts have their past as soon as they are drawn: before a second poll of the figures.
  const first = await page.waitForFunction(
    () => {
      const charts = [...document.querySelectorAll('figure.pb-tchart')].map((figure) => Number(figure.getAttribute('data-points')));
      if (charts.length === 0 || charts.some((points) => !(points > 5))) return null;
      const polls = performance.getEntriesByType('resource').filter((entry) => new URL(entry.name).pathname === '/api/ws/stats').length;
      return { charts, polls };
    },
    undefined,
    { timeout: 10_000 },
  );
  const { charts, polls } = (await first.jsonValue())!;
  expect(charts).toHaveLength(5);
  expect(polls).toBeLessThanOrEqual(1);
  // …and they go on with each poll.
  const points = () => page.locator('figure.pb-tchart').first().getAttribute('data-points').then(Number);
  const before = await points();
  await page.waitForFunction((n) => Number(document.querySelector('figure.pb-tchart')?.getAttribute('data-points')) >= n + 2, before, { timeout: 10_000 });
  expect(await points()).toBeGreaterThan(before);
  expect(pageErrors).toEqual([]);
});

it('says the server is unreachable when it goes away, keeping the last figures', async () => {
  await server.stop();
  const banner = page.getByTestId('status-error');
  await banner.waitFor({ timeout: 10_000 });
  expect(await banner.textContent()).toMatch(/Server (unreachable|unavailable)/);
  expect(await text(COUNT)).toBe('1');
  expect(pageErrors).toEqual([]);
});
