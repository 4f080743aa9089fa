/**
 * The MQTT node map example (examples/mqtt-node-map): the production server started with the
 * example's own configuration file, its MQTT bridge pointed at a real Mosquitto through
 * `${MQTT_URL}`. The test publishes device states through the broker as the example's devices
 * do; the dashboard at /d/node-map draws them on its map (points and clusters adding up to every
 * device) before any script runs, then live, and a region picked on the map becomes the view's
 * bounds filter. A phone-width screen does not scroll sideways.
 */
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { containsPoint, REGION_PRESETS } from '@/components/geo';
import { createNodes } from '@/examples/mqtt-node-map/devices';
import { seededRandom } from '@/lib/demo/random';
import type { AppServer } from '../helpers/app-server';
import { openPage, screenshotPath, startAppAndBrowser, stopAppAndBrowser, waitUntil } from '../helpers/browser';
import { startMosquitto, type LocalMosquitto } from '../helpers/mosquitto';

const CONFIG = join(__dirname, '../../examples/mqtt-node-map/pulse.config.json');
const MAP = '.pb-mappanel';
const EUROPE = REGION_PRESETS.find((p) => p.id === 'europe')!.bounds!;

/** Three devices per site, a few of them offline. */
const NODES = createNodes(36, seededRandom(7), Date.now());
for (const i of [0, 13, 26]) NODES[i].state.status = 'offline';

let broker: LocalMosquitto;
let server: AppServer;
let client: MqttClient;
let browser: Browser;

async function publishState(id: string, state: object): Promise<void> {
  await client.publishAsync(`nodes/${id}/state`, JSON.stringify(state), { qos: 1 });
}

/** What the map draws: records shown (a cluster counts its members) and how many clusters. */
function shownOnMap(page: Page): Promise<{ shown: number; total: number; clusters: number; ids: string[] }> {
  return page.$eval(MAP, (panel) => {
    const marks = [...panel.querySelectorAll('.pb-map__marks [data-id], .pb-map__marks [data-ids]')];
    const ids = marks.flatMap((m) => (m.getAttribute('data-id') ?? m.getAttribute('data-ids') ?? '').split(' '));
    const total = marks.reduce((sum, m) => sum + Number(m.getAttribute('data-count') ?? 1), 0);
    return { shown: Number(panel.querySelector('svg.pb-map__svg')?.getAttribute('data-shown')), total, clusters: panel.querySelectorAll('.pb-map__cluster').length, ids: ids.sort() };
  });
}

async function waitForShown(page: Page, count: number): Promise<void> {
  await page.waitForFunction(([selector, n]) => document.querySelector(`${selector} svg.pb-map__svg`)?.getAttribute('data-shown') === String(n), [MAP, count] as const, { timeout: 20_000 });
}

beforeAll(async () => {
  broker = await startMosquitto();
  ({ server, browser } = await startAppAndBrowser({ PULSE_CONFIG: CONFIG, MQTT_URL: broker.url }));
  client = await mqtt.connectAsync(broker.url, { clientId: 'node-map-test' });
  // The bridge subscribes once connected; until then QoS 1 messages to a new session would be lost.
  await waitUntil(() => server.logs.some((l) => (l as { msg?: string }).msg === 'source connected'), 'the MQTT source to connect', 20_000);
  await Promise.all(NODES.map((node) => publishState(node.id, node.state)));
});

afterAll(async () => {
  await client?.endAsync();
  await stopAppAndBrowser({ server, browser });
  await broker?.stop();
});

it('draws every device on the map before scripts run, clustered where they overlap', async () => {
  // the bridge publishes as the messages arrive: wait until the channel holds all of them
  const page = await openPage(browser, { viewport: { width: 1440, height: 1000 }, javaScriptEnabled: false });
  for (let attempt = 0; ; attempt++) {
    await page.goto(`${server.url}/d/node-map`);
    if ((await shownOnMap(page)).shown === NODES.length || attempt > 40) break;
    await page.waitForTimeout(250);
  }
  const map = await shownOnMap(page);
  expect(map.shown).toBe(NODES.length);
  expect(map.total).toBe(NODES.length);
  expect(map.ids).toEqual(NODES.map((n) => n.id).sort());
  // three devices a site, a few kilometres apart: on a world map they share clusters
  expect(map.clusters).toBeGreaterThan(0);
  expect(map.clusters).toBeLessThan(NODES.length);
  expect(await page.locator(`${MAP} .pb-map__land`).count()).toBe(1);
  // offline devices colour their clusters
  expect(await page.locator(`${MAP} .pb-map__cluster--bad, ${MAP} .pb-map__node--bad`).count()).toBeGreaterThan(0);
  expect(await page.locator(`${MAP} .pb-map__legend`).textContent()).toContain('offline');
  await page.context().close();
});

it('shows devices as they publish, and follows the region the viewer picks', async () => {
  const page = await openPage(browser, { url: `${server.url}/d/node-map`, viewport: { width: 1440, height: 1000 } });
  await waitForShown(page, NODES.length);

  // a new device, far from the others: a point of its own
  await publishState('zz-new', { name: 'ZZ-NEW', site: 'Honolulu', lat: 21.31, lon: -157.86, status: 'online', battery: 90, rssi: -60, lastSeen: Date.now() });
  await waitForShown(page, NODES.length + 1);
  expect(await page.locator(`${MAP} circle.pb-map__node[data-id="zz-new"] title`).textContent()).toBe('ZZ-NEW · online');

  // Europe: the hub now sends only the devices inside (Honolulu is outside the preset)
  await page.locator(MAP).getByRole('button', { name: 'Europe', exact: true }).click();
  const inEurope = NODES.filter((n) => containsPoint(EUROPE, n.state.lat, n.state.lon));
  expect(inEurope.length).toBeGreaterThan(0);
  await waitForShown(page, inEurope.length);
  const map = await shownOnMap(page);
  expect(map.ids).toEqual(inEurope.map((n) => n.id).sort());
  expect(await page.locator(`${MAP} .pb-map__bounds`).count()).toBe(1);

  // a device that moves out of the region leaves the map
  const leaving = inEurope[0];
  await publishState(leaving.id, { lat: 10, lon: -30 });
  await waitForShown(page, inEurope.length - 1);
  expect((await shownOnMap(page)).ids).not.toContain(leaving.id);

  await page.screenshot({ path: screenshotPath('node-map-1440.png'), fullPage: true });
  await page.context().close();
});

it('fits a phone-width screen', async () => {
  const page = await openPage(browser, { url: `${server.url}/d/node-map`, viewport: { width: 390, height: 844 } });
  // every device, the one added above included
  await waitForShown(page, NODES.length + 1);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: screenshotPath('node-map-390.png'), fullPage: true });
  await page.context().close();
});
