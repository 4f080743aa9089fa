/**
 * Security headers against the production server: every page carries a Content-Security-Policy
 * that forbids framing, `nosniff` and a referrer policy (next.config.js), the JSON API carries
 * `nosniff`; and the pages still work under that policy in Chromium: the dashboard and the
 * tester go live with no violation reported, while a page that frames the dashboard gets
 * nothing.
 */
import { type Browser, type Page } from 'playwright-core';
import type { AppServer } from '../helpers/app-server';
import { connectTester, openPage, startAppAndBrowser, stopAppAndBrowser, waitForLive } from '../helpers/browser';

let server: AppServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  ({ server, browser } = await startAppAndBrowser({ PULSE_SIMULATOR: 'on' }));
});

afterAll(() => stopAppAndBrowser({ server, browser }));

/** A page that records every CSP violation and every page error. */
async function watchedPage(): Promise<{ page: Page; violations: string[] }> {
  const violations: string[] = [];
  const page = await openPage(browser!, { viewport: { width: 1440, height: 1000 }, timeout: 15_000, errors: violations, errorLabel: 'page error', hydrationErrors: false });
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      (window as unknown as { reportViolation(text: string): void }).reportViolation(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return { page, violations };
}

it.each(['/', '/status', '/websocket-test'])('serves %s with the security headers', async (path) => {
  const response = await fetch(`${server!.url}${path}`);
  expect(response.status).toBe(200);
  const csp = response.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("connect-src 'self' ws: wss:");
  expect(csp).toContain("object-src 'none'");
  // Production: no eval.
  expect(csp).not.toContain('unsafe-eval');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('permissions-policy')).toContain('camera=()');
});

it('serves the JSON API with nosniff', async () => {
  for (const path of ['/api/health', '/api/channels/kpi/snapshot', '/api/channels/no%20such/snapshot']) {
    const response = await fetch(`${server!.url}${path}`);
    expect(response.headers.get('content-type')).toContain('application/json');
    expect([path, response.headers.get('x-content-type-options')]).toEqual([path, 'nosniff']);
  }
});

it('runs the dashboard under the policy: live over the socket, nothing blocked', async () => {
  const { page, violations } = await watchedPage();
  await page.goto(`${server!.url}/`);
  await waitForLive(page);
  // Deltas from the simulator arrive over the socket the policy allows.
  await page.locator('#backlog tr[data-changed]').first().waitFor();
  expect(violations).toEqual([]);
  await page.context().close();
});

it('runs the tester under the policy: connects and subscribes, nothing blocked', async () => {
  const { page, violations } = await watchedPage();
  await connectTester(page, server!.url);
  await page.getByTestId('subscribe-channel').fill('kpi');
  await page.getByTestId('subscribe').click();
  await page.locator('[data-testid="subscriptions"] tr[data-channel="kpi"]').filter({ hasText: 'live' }).waitFor();
  expect(violations).toEqual([]);
  await page.context().close();
});

it('refuses to be framed', async () => {
  const context = await browser!.newContext();
  const page = await context.newPage();
  // Any other origin: the server's own address under another name.
  const framed = server!.url.replace('127.0.0.1', 'localhost');
  await page.setContent(`<iframe id="f" src="${framed}/" width="800" height="600"></iframe>`);
  const frame = await (await page.waitForSelector('#f')).contentFrame();
  await frame!.waitForLoadState().catch(() => undefined);
  await page.waitForFunction(() => true);
  // Chromium replaces a refused frame with its own error page: no dashboard inside.
  await expect(frame!.locator('.pb-header').count()).resolves.toBe(0);
  expect(frame!.url()).not.toBe(`${framed}/`);
  await context.close();
});
