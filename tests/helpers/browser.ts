/**
 * Headless Debian Chromium through playwright-core (no browser downloads). Each launch gets a
 * fresh temporary profile from Playwright itself (it refuses a `--user-data-dir` argument).
 * Also the setup the browser tests share: the product server and a browser started together,
 * pages with a session cookie and their errors recorded, publishing over the HTTP API, and
 * waiting for a page to be live.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startAppServer, type AppServer } from './app-server';

export const CHROMIUM = process.env.PULSE_CHROMIUM ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/**
 * Starts the product server and a browser side by side; if either fails, the one that started
 * is stopped before the error is thrown, so nothing outlives a failed `beforeAll`.
 *
 * @example ({ server, browser } = await startAppAndBrowser({ PULSE_SIMULATOR: 'off' }));
 */
export async function startAppAndBrowser(env: Record<string, string> = {}): Promise<{ server: AppServer; browser: Browser }> {
  const [started, launched] = await Promise.allSettled([startAppServer(env), launchBrowser()]);
  if (started.status === 'fulfilled' && launched.status === 'fulfilled') return { server: started.value, browser: launched.value };
  if (launched.status === 'fulfilled') await launched.value.close();
  if (started.status === 'fulfilled') await started.value.stop();
  throw started.status === 'rejected' ? started.reason : (launched as PromiseRejectedResult).reason;
}

/** Closes `contexts`, then the browser, then stops the server; each may be missing after a failed start. */
export async function stopAppAndBrowser({ server, browser, contexts = [] }: { server?: AppServer; browser?: Browser; contexts?: BrowserContext[] }): Promise<void> {
  for (const context of contexts.splice(0)) await context.close().catch(() => {});
  await browser?.close();
  await server?.stop();
}

export interface OpenPageOptions {
  /** Where the page goes once set up; without it the page stays blank for the test to navigate. */
  url?: string;
  /** 1440 × 900 unless given. */
  viewport?: { width: number; height: number };
  javaScriptEnabled?: boolean;
  /** A signed-in viewer: `token` as the HTTP-only `pulse_token` cookie the server sets, for `origin`. */
  session?: { origin: string; token: string };
  /** The page's default timeout for waits, in ms. */
  timeout?: number;
  /** Receives the page's uncaught errors and, unless `hydrationErrors` is false, React's hydration errors. */
  errors?: string[];
  /** Put before each recorded error (`label: message`), to tell pages apart. */
  errorLabel?: string;
  hydrationErrors?: boolean;
  /** Where the page's new context is kept, for the test to close. */
  contexts?: BrowserContext[];
}

/**
 * A page in a context of its own (a separate viewer, not another tab), set up as `options` say.
 *
 * @example const page = await openPage(browser, { url: `${server.url}/`, session: { origin: server.url, token }, errors });
 */
export async function openPage(browser: Browser, options: OpenPageOptions = {}): Promise<Page> {
  const { url, viewport = { width: 1440, height: 900 }, javaScriptEnabled, session, timeout, errors, errorLabel, hydrationErrors = true, contexts } = options;
  const context = await browser.newContext({ viewport, ...(javaScriptEnabled === undefined ? {} : { javaScriptEnabled }) });
  contexts?.push(context);
  if (session) await context.addCookies([{ name: 'pulse_token', value: session.token, url: session.origin, httpOnly: true, sameSite: 'Lax' }]);
  const page = await context.newPage();
  if (timeout !== undefined) page.setDefaultTimeout(timeout);
  if (errors) {
    const record = (message: string) => errors.push(errorLabel === undefined ? message : `${errorLabel}: ${message}`);
    page.on('pageerror', (error) => record(error.message));
    // React reports hydration mismatches as console errors (minified #418/#423/#425 in production)
    if (hydrationErrors) {
      page.on('console', (message) => {
        if (message.type() === 'error' && /hydrat|#41[89]|#42[35]/i.test(message.text())) record(message.text());
      });
    }
  }
  if (url) await page.goto(url);
  return page;
}

/** The connection indicator in the header of `/` and `/d/<slug>`; its `data-state` is the socket's. */
export const CONNECTION_STATUS = '.pb-header .pb-conn';

/** Waits until the page's header says its socket is open. */
export async function waitForLive(page: Page, timeout?: number): Promise<void> {
  await page.locator(`${CONNECTION_STATUS}[data-state="open"]`).waitFor({ timeout });
}

/** Opens the WebSocket tester at `baseUrl` and connects it, waiting until its socket is open. */
export async function connectTester(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/websocket-test`);
  await page.getByRole('heading', { name: 'WebSocket tester' }).waitFor();
  await page.getByTestId('connect').click();
  await page.locator('main[data-state="open"]').waitFor();
}

/**
 * Publishes `body` to `channel` through the HTTP API with the admin key (for `tenant` when
 * given), failing unless the server accepts it; resolves to the server's answer.
 *
 * @example await publishOverHttp(server.url, 'kpi', { upsert: [{ id: 'q1', waiting: 3 }] }, { apiKey: API_KEY });
 */
export async function publishOverHttp(
  baseUrl: string,
  channel: string,
  body: Record<string, unknown>,
  { apiKey, tenant }: { apiKey: string; tenant?: string },
): Promise<{ channel: string; epoch: string; seq: number }> {
  const response = await fetch(`${baseUrl}/api/channels/${channel}/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, ...(tenant ? { 'x-tenant-id': tenant } : {}), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`publish to ${tenant ? `${tenant}/` : ''}${channel}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/** Waits until `condition` holds (checked every 50 ms), failing after `timeoutMs` with `what` in the message. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many pixels the page is wider than its viewport: above 0, it scrolls sideways. */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Where a test saves screenshot `name`: `PULSE_SCREENSHOTS` when set, else the temporary directory. */
export function screenshotPath(name: string): string {
  return join(process.env.PULSE_SCREENSHOTS ?? tmpdir(), name);
}
