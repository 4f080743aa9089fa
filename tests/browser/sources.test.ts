/**
 * Declared sources end to end: the real server started with PULSE_SOURCES polls a real local
 * HTTP endpoint into a channel, the simulator stays off, and /status shows each source with
 * its state in a Sources panel (one live, one failing against a closed port).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { freePort } from '@/scripts/lib/processes';
import type { AppServer } from '../helpers/app-server';
import { openPage, screenshotPath, startAppAndBrowser, stopAppAndBrowser } from '../helpers/browser';
import { http } from '../helpers/http';

const API_KEY = 'sources-page-test-key-0123456789';

let upstream: Server;
let server: AppServer;
let browser: Browser;

beforeAll(async () => {
  upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify([{ code: 'NL', gdp: 1000 }, { code: 'BE', gdp: 600 }]));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const closed = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'pulse-sources-'));
  const file = join(dir, 'sources.json');
  writeFileSync(
    file,
    JSON.stringify({
      sources: [
        { name: 'countries', kind: 'http', channel: 'countries', url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/`, id: 'code', intervalMs: 500 },
        { name: 'broken', kind: 'http', channel: 'broken', url: `http://127.0.0.1:${closed}/`, intervalMs: 500, timeoutMs: 500 },
      ],
    }),
  );
  ({ server, browser } = await startAppAndBrowser({ PULSE_API_KEY: API_KEY, PULSE_SOURCES: file }));
});

afterAll(async () => {
  await stopAppAndBrowser({ server, browser });
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
});

it('publishes the polled rows, without the simulator', async () => {
  let snapshot = (await http(server.url, 'GET', '/api/channels/countries/snapshot')).body;
  for (let i = 0; i < 50 && snapshot.seq === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    snapshot = (await http(server.url, 'GET', '/api/channels/countries/snapshot')).body;
  }
  expect(snapshot.records.map((r: { id: string }) => r.id).sort()).toEqual(['BE', 'NL']);
  expect((await http(server.url, 'GET', '/api/channels/kpi/snapshot')).body.seq).toBe(0);
});

it('shows every source with its state on /status', async () => {
  const page = await openPage(browser, { url: `${server.url}/status`, viewport: { width: 1440, height: 1400 } });
  await page.getByLabel('Admin API key').fill(API_KEY);
  await page.getByRole('button', { name: 'Unlock' }).click();
  const live = page.locator('tr[data-source="countries"]');
  const broken = page.locator('tr[data-source="broken"]');
  await page.waitForFunction(() => document.querySelector('tr[data-source="broken"]')?.textContent?.includes('failing'), undefined, { timeout: 15_000 });
  expect(await live.textContent()).toContain('live');
  expect(await live.textContent()).toContain('demo/countries');
  expect(await broken.textContent()).toMatch(/failing · unreachable/);
  expect(await page.getByRole('heading', { name: 'Sources' }).isVisible()).toBe(true);
  await page.screenshot({ path: screenshotPath('status-sources.png'), fullPage: true });
});
