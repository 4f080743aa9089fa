/**
 * The protocol tester page in a real Chromium against the real server: connect, subscribe,
 * a refused and an accepted publish, a development token, the frame log, ping, and a dropped
 * connection that resumes without loss.
 */
import { type Browser, type Page } from 'playwright-core';
import type { AppServer } from '../helpers/app-server';
import { connectTester, openPage, startAppAndBrowser, stopAppAndBrowser } from '../helpers/browser';

let server: AppServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  ({ server, browser } = await startAppAndBrowser({ PULSE_DEV_TOKENS: '1', PULSE_SIMULATOR: 'off' }));
});

afterAll(() => stopAppAndBrowser({ server, browser }));

/** A frame log row of `type` whose line contains `text`. */
function logRow(page: Page, type: string, text: string) {
  return page.locator(`.pb-tester-log__row[data-type="${type}"]`).filter({ hasText: text });
}

function subscriptionRow(page: Page, channel: string) {
  return page.locator(`[data-testid="subscriptions"] tr[data-channel="${channel}"]`);
}

it('connects, subscribes, publishes with a dev token, drops the socket and resumes', async () => {
  const pageErrors: string[] = [];
  const page = await openPage(browser!, { viewport: { width: 1440, height: 1000 }, timeout: 10_000, errors: pageErrors, hydrationErrors: false });

  // Anonymous session: auth out, welcome in.
  await connectTester(page, server!.url);
  await logRow(page, 'auth', 'anonymous').waitFor();
  await logRow(page, 'welcome', '@demo').waitFor();
  await page.getByTestId('session-user').filter({ hasText: /^anon-/ }).waitFor();

  // The filter editor validates before sending.
  await page.getByTestId('subscribe-channel').fill('sandbox');
  await page.getByTestId('subscribe-filter').fill('{"colour": "red"}');
  await page.getByTestId('filter-check').filter({ hasText: 'BAD_FILTER' }).waitFor();
  expect(await page.getByTestId('subscribe').isDisabled()).toBe(true);
  await page.getByTestId('subscribe-filter').fill('{not json');
  await page.getByTestId('filter-check').filter({ hasText: 'JSON' }).waitFor();
  await page.getByTestId('subscribe-filter').fill('{}');
  await page.getByTestId('subscribe').click();
  await subscriptionRow(page, 'sandbox').filter({ hasText: 'live' }).waitFor();
  await logRow(page, 'subscribe', 'sandbox').waitFor();
  await logRow(page, 'snapshot', 'sandbox').waitFor();

  // Anonymous sessions may not publish: the FORBIDDEN reply is shown.
  await page.getByTestId('publish-channel').fill('sandbox');
  await page.getByTestId('publish').click();
  await page.getByTestId('publish-result').filter({ hasText: 'FORBIDDEN' }).waitFor();
  await logRow(page, 'reply', 'FORBIDDEN').waitFor();

  // A development token that may publish to sandbox*; the session reconnects with it.
  await page.locator('input[name="user"]').fill('tess');
  await page.getByTestId('get-token').click();
  await page.getByTestId('token-result').filter({ hasText: 'token for tess@demo' }).waitFor();
  await page.getByTestId('session-user').filter({ hasText: 'tess' }).waitFor();
  await page.getByTestId('session-expires').filter({ hasText: /in \d+m/ }).waitFor();

  await page.getByTestId('publish').click();
  await page.getByTestId('publish-result').filter({ hasText: /published to sandbox: epoch \S+, seq 1/ }).waitFor();
  await logRow(page, 'delta', 'sandbox · 0 → 1 · 1 upsert').waitFor();
  await subscriptionRow(page, 'sandbox').getByTestId('records').filter({ hasText: '1' }).waitFor();

  // Round trip.
  await page.getByTestId('ping').click();
  await page.getByTestId('rtt-last').filter({ hasText: /\d/ }).waitFor();

  // Drop the socket: the client reconnects, subscribes with since and the hub recovers.
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByTestId('drop').click();
  await page.getByTestId('last-close').filter({ hasText: '4005' }).waitFor();
  await page.locator('main[data-state="open"]').waitFor();
  await logRow(page, 'subscribe', 'since').waitFor();
  const reply = logRow(page, 'reply', 'recovered: true');
  await reply.waitFor();
  await reply.getByRole('button').click();
  await reply.locator('pre').filter({ hasText: '"recovered": true' }).waitFor();
  await subscriptionRow(page, 'sandbox').getByTestId('recovered').filter({ hasText: 'true' }).waitFor();
  await logRow(page, 'delta', 'recovery').waitFor();

  // Counters saw it all.
  const counter = async (id: string) => Number((await page.getByTestId(id).textContent())?.replace(/,/g, ''));
  expect(await counter('frames-in')).toBeGreaterThan(5);
  expect(await counter('frames-out')).toBeGreaterThan(5);
  expect(await counter('errors')).toBeGreaterThanOrEqual(1);

  // The log can be narrowed to one type.
  await page.locator('.pb-tester-type-chips button[data-type="reply"]').click();
  expect(await page.locator('.pb-tester-log__row:not([data-type="reply"])').count()).toBe(0);

  expect(pageErrors).toEqual([]);
  await page.context().close();
});
