/**
 * Presence on the dashboard in headless Chromium: two pages open the board and each shows
 * "2 watching"; one closes, and after the grace period the other shows 1.
 */
import type { Browser } from 'playwright-core';
import type { AppServer } from '../helpers/app-server';
import { openPage, screenshotPath, startAppAndBrowser, stopAppAndBrowser } from '../helpers/browser';

let server: AppServer;
let browser: Browser;

beforeAll(async () => {
  ({ server, browser } = await startAppAndBrowser({ PULSE_PRESENCE_GRACE_MS: '300' }));
});

afterAll(() => stopAppAndBrowser({ server, browser }));

const COUNT = `[data-testid="watchers"] .pb-watchers__count b`;

it('shows how many are watching, on every page, and follows a page closing', async () => {
  // Separate contexts: two people (anonymous sessions), not two tabs of one.
  const first = await openPage(browser, { url: server.url });
  await first.waitForFunction((s) => document.querySelector(s)?.textContent === '1', COUNT, { timeout: 20_000 });

  const second = await openPage(browser, { url: server.url });
  for (const page of [first, second]) await page.waitForFunction((s) => document.querySelector(s)?.textContent === '2', COUNT, { timeout: 10_000 });
  expect(await first.locator('.pb-watchers__face').count()).toBe(2);
  await first.screenshot({ path: screenshotPath('dashboard-watchers.png'), clip: { x: 700, y: 0, width: 740, height: 60 } });

  await second.close();
  await first.waitForFunction((s) => document.querySelector(s)?.textContent === '1', COUNT, { timeout: 10_000 });
});
