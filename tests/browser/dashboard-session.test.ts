/**
 * `/` against the production server with anonymous mode off: the pages carry data only for a
 * viewer with a session cookie the hub accepts, of that viewer's tenant and channels; without
 * one `/` is a sign-in shell that goes live once signed in; a session that expires brings the
 * shell back; and after a dropped connection every resubscribe resumes with `since`.
 */
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AppServer } from '../helpers/app-server';
import { CONNECTION_STATUS, openPage, publishOverHttp, startAppAndBrowser, stopAppAndBrowser, waitForLive, waitUntil } from '../helpers/browser';
import { signToken } from '../helpers/ws-client';

const SECRET = 'dashboard-session-secret-0123456789abcdef';
const API_KEY = 'dashboard-session-key-0123456789';
const TENANTS = ['demo', 'acme'] as const;
type Tenant = (typeof TENANTS)[number];

let server: AppServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
const errors: string[] = [];

// ---- data: every record id, name and message carries its tenant and channel ------------------

/** A string only `tenant`'s `channel` holds: finding it in a page means that data was rendered. */
const mark = (tenant: Tenant, channel: string) => `${tenant}-${channel}-7f3a`;

function queue(tenant: Tenant, n: number) {
  return { org: `${tenant}-org`, department: 'support', queue: `${tenant} desk ${n}` };
}

function dataOf(tenant: Tenant): Record<string, Record<string, unknown>> {
  return {
    kpi: { upsert: [{ id: mark(tenant, 'kpi'), ...queue(tenant, 1), utilization: 0.7, healthScore: 81, slaRisk: 0.2, agentsOnline: 12 }] },
    backlog: { upsert: [{ id: mark(tenant, 'backlog'), ...queue(tenant, 2), waiting: 37, oldestWaitS: 95, handled: 1234, abandoned: 12 }] },
    fleet: {
      upsert: [{ id: mark(tenant, 'fleet'), name: mark(tenant, 'fleet').toUpperCase(), metro: 'london', lat: 51.5, lon: -0.12, status: 'online', battery: 80, moving: true }],
    },
    alerts: { events: [{ type: 'alert.sla', priority: 'high', data: { message: `${mark(tenant, 'alerts')} SLA risk rising`, queue: 'q1', queueName: 'Desk' } }] },
  };
}

const CHANNELS = ['kpi', 'backlog', 'fleet', 'alerts'];

const publish = (tenant: Tenant, channel: string, body: Record<string, unknown>) => publishOverHttp(server.url, channel, body, { apiKey: API_KEY, tenant });

function token(tenant: Tenant, sub: string, subscribe?: string[], expiresInS = 3600): Promise<string> {
  return signToken(SECRET, { sub, tenant, ...(subscribe ? { channels: { subscribe } } : {}) }, { expiresInS });
}

/** `path` as the server renders it: the HTML, or with `rsc` the RSC payload a client navigation reads. */
async function render(path: string, options: { cookie?: string; rsc?: boolean } = {}): Promise<string> {
  const headers: Record<string, string> = {};
  if (options.cookie) headers.cookie = `pulse_token=${options.cookie}`;
  if (options.rsc) headers.rsc = '1';
  const response = await fetch(`${server.url}${path}`, { headers });
  expect(response.status).toBe(200);
  if (options.rsc) expect(response.headers.get('content-type')).toContain('text/x-component');
  return response.text();
}

/** Which tenants' channels a page carries, as `tenant/channel`. */
function rendered(body: string): string[] {
  return TENANTS.flatMap((tenant) => CHANNELS.filter((channel) => body.includes(mark(tenant, channel))).map((channel) => `${tenant}/${channel}`));
}

// ---- browser ----------------------------------------------------------------------------------

function newPage(cookie?: string): Promise<Page> {
  // tall enough that every panel is in sight: no view pauses for being scrolled away
  return openPage(browser, { viewport: { width: 1440, height: 2400 }, ...(cookie ? { session: { origin: server.url, token: cookie } } : {}), contexts, errors });
}

const backlogRow = (tenant: Tenant) => `#backlog tr[data-id="${mark(tenant, 'backlog')}"]`;

beforeAll(async () => {
  ({ server, browser } = await startAppAndBrowser({ PULSE_ANONYMOUS: '0', PULSE_JWT_SECRET: SECRET, PULSE_API_KEY: API_KEY, PULSE_SIMULATOR: 'off' }));
  for (const tenant of TENANTS) {
    for (const [channel, body] of Object.entries(dataOf(tenant))) await publish(tenant, channel, body);
  }
});

afterEach(() => {
  expect(errors).toEqual([]);
});

afterAll(() => stopAppAndBrowser({ server, browser, contexts }));

// ---- what the server renders --------------------------------------------------------------------

describe('server rendering', () => {
  it('renders no tenant data without a session cookie, in the HTML or the RSC payload', async () => {
    const html = await render('/');
    expect(rendered(html)).toEqual([]);
    expect(html).toContain('Sign in to see live data');
    expect(rendered(await render('/', { rsc: true }))).toEqual([]);
    // nor with a cookie the hub refuses
    const forged = await signToken('not-the-server-secret-0123456789abcdef', { sub: 'mallory', tenant: 'demo' }, { expiresInS: 600 });
    expect(rendered(await render('/', { cookie: forged }))).toEqual([]);
    expect(rendered(await render('/', { cookie: await token('demo', 'late', undefined, -10) }))).toEqual([]);
  });

  it('renders the cookie token’s tenant, and only that tenant', async () => {
    expect(rendered(await render('/', { cookie: await token('demo', 'dee') }))).toEqual(['demo/kpi', 'demo/backlog', 'demo/fleet', 'demo/alerts']);
    const acme = await token('acme', 'ann');
    expect(rendered(await render('/', { cookie: acme }))).toEqual(['acme/kpi', 'acme/backlog', 'acme/fleet', 'acme/alerts']);
    expect(rendered(await render('/', { cookie: acme, rsc: true }))).toEqual(['acme/kpi', 'acme/backlog', 'acme/fleet', 'acme/alerts']);
    // a viewer's page is theirs alone: no shared cache may keep it
    const response = await fetch(`${server.url}/`, { headers: { cookie: `pulse_token=${acme}` } });
    expect(response.headers.get('cache-control')).toMatch(/private/);
    expect(response.headers.get('cache-control')).toMatch(/no-store/);
  });

  it('leaves out a channel the token may not subscribe to', async () => {
    const cookie = await token('demo', 'no-kpi', ['backlog', 'fleet', 'alerts']);
    expect(rendered(await render('/', { cookie }))).toEqual(['demo/backlog', 'demo/fleet', 'demo/alerts']);
    expect(rendered(await render('/', { cookie, rsc: true }))).toEqual(['demo/backlog', 'demo/fleet', 'demo/alerts']);
  });

  it('renders no data on /status or /websocket-test, whoever asks', async () => {
    const cookie = await token('demo', 'dee');
    for (const path of ['/status', '/websocket-test']) {
      for (const options of [{}, { rsc: true }, { cookie }, { cookie, rsc: true }]) expect(rendered(await render(path, options))).toEqual([]);
    }
  });
});

// ---- in the browser -------------------------------------------------------------------------------

describe('in Chromium', () => {
  it('shows the sign-in shell, then goes live over the socket once signed in', async () => {
    const page = await newPage();
    await page.goto(`${server.url}/`);
    await page.getByRole('heading', { name: 'Sign in to see live data' }).waitFor();
    expect(await page.locator(CONNECTION_STATUS).textContent()).toBe('Not signed in');
    expect(await page.locator('#backlog').count()).toBe(0);
    await page.screenshot({ path: 'test-results/dashboard-sign-in.png' });

    // a refused token leaves the shell in place and says why
    await page.getByLabel('Access token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Not signed in' }).waitFor();

    await page.getByLabel('Access token').fill(await token('acme', 'ann'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitForLive(page, 10_000);
    await page.locator(backlogRow('acme')).waitFor({ timeout: 5000 });
    expect(await page.locator(backlogRow('demo')).count()).toBe(0);
    expect(await page.getByTestId('viewer').textContent()).toContain('ann');
    // the token sits in an HTTP-only cookie, out of reach of the page's scripts
    expect(await page.evaluate(() => document.cookie)).not.toContain('pulse_token');

    // a change published now arrives live
    await publish('acme', 'backlog', { upsert: [{ id: mark('acme', 'backlog'), waiting: 58 }] });
    await page.locator(`${backlogRow('acme')} [data-field="waiting"]`, { hasText: /^58$/ }).waitFor({ timeout: 5000 });

    // signing out removes the cookie: the reload is the shell again
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to see live data' }).waitFor();
    expect(await page.context().cookies(server.url)).toEqual([]);
  });

  it('renders what a token without kpi may see, and the page stays whole', async () => {
    const page = await newPage(await token('demo', 'no-kpi', ['backlog', 'fleet', 'alerts']));
    await page.goto(`${server.url}/`);
    await waitForLive(page, 10_000);
    await page.locator(backlogRow('demo')).waitFor();
    await page.screenshot({ path: 'test-results/dashboard-without-kpi.png', fullPage: true });
  });

  it('brings the shell back when the session expires', async () => {
    const page = await newPage(await token('demo', 'brief', undefined, 8));
    await page.goto(`${server.url}/`);
    // rendered for the session while it lasted
    expect(await page.locator(backlogRow('demo')).count()).toBe(1);
    await page.getByRole('heading', { name: 'Your session has expired' }).waitFor({ timeout: 15_000 });
    expect(await page.locator(backlogRow('demo')).count()).toBe(0);
  });

  it('resumes every channel with since after the hub drops the connection', async () => {
    const page = await newPage(await token('demo', 'resume-viewer'));
    const sent: Array<Record<string, unknown>> = [];
    const received: Array<Record<string, unknown>> = [];
    page.on('websocket', (ws) => {
      ws.on('framesent', (frame) => sent.push(JSON.parse(String(frame.payload))));
      ws.on('framereceived', (frame) => received.push(JSON.parse(String(frame.payload))));
    });
    await page.goto(`${server.url}/`);
    await waitForLive(page, 10_000);
    await page.waitForFunction(() => document.querySelector('[data-testid="watchers"]') !== null);
    const subscribes = () => sent.filter((frame) => frame.type === 'subscribe');
    // `fleet` twice: the map's region and the attention table, two views on the one connection
    expect(subscribes().map((frame) => frame.channel).sort()).toEqual(['alerts', 'backlog', 'fleet', 'fleet', 'kpi']);

    const listed = (await (await fetch(`${server.url}/api/ws/connections`, { headers: { authorization: `Bearer ${API_KEY}` } })).json()) as {
      connections: Array<{ id: string; user: string | null }>;
    };
    const mine = listed.connections.filter((c) => c.user === 'resume-viewer');
    expect(mine).toHaveLength(1);
    const before = sent.length;
    const kicked = await fetch(`${server.url}/api/ws/connections/${mine[0].id}`, { method: 'DELETE', headers: { authorization: `Bearer ${API_KEY}` } });
    expect(kicked.status).toBe(200);
    await page.locator(`${CONNECTION_STATUS}[data-state="reconnecting"]`).waitFor({ timeout: 5000 });
    // missed while away
    await publish('demo', 'kpi', { upsert: [{ id: mark('demo', 'kpi'), agentsOnline: 17 }] });

    // a kicked client waits the policy backoff (15–30 s) before it comes back
    await waitForLive(page, 40_000);
    const again = () => sent.slice(before).filter((frame) => frame.type === 'subscribe');
    await waitUntil(() => again().length === 5, 'a subscribe for each of the five views');

    // every subscribe, before the drop and after it, resumes from a position
    for (const frame of subscribes()) expect(frame).toMatchObject({ since: { epoch: expect.any(String), seq: expect.any(Number) } });
    const kpi = again().find((frame) => frame.channel === 'kpi')!;
    expect(kpi).toMatchObject({ presence: true });
    const reply = () => received.find((frame) => frame.type === 'reply' && frame.ref === kpi.ref);
    await waitUntil(() => reply() !== undefined, "the reply to kpi's subscribe");
    expect(reply()).toMatchObject({ ok: true, recovered: true });
  }, 90_000);
});
