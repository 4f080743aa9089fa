/**
 * A fleet of simulated IoT nodes publishing to an MQTT broker, for the node map example: each
 * node sits at one of a dozen sites around the world (some drift about, as trackers on vehicles
 * would) and publishes its state to `nodes/<id>/state` every few seconds: position, status,
 * battery and signal. A node whose battery runs low or that drops out also publishes an alarm
 * to `nodes/<id>/alarm`. An offline node publishes nothing until it comes back.
 *
 *   npx tsx examples/mqtt-node-map/devices.ts --url mqtt://127.0.0.1:1883 --count 150 --interval 2000
 */
import mqtt, { type MqttClient } from 'mqtt';
import { seededRandom } from '../../lib/demo/random';

export interface Site {
  id: string;
  name: string;
  lat: number;
  lon: number;
  /** How far from the centre its nodes are, km. */
  radiusKm: number;
}

/** Where the nodes are: cities on every continent, and one on each side of 180°. */
export const SITES: readonly Site[] = [
  { id: 'ams', name: 'Amsterdam', lat: 52.37, lon: 4.9, radiusKm: 12 },
  { id: 'ber', name: 'Berlin', lat: 52.52, lon: 13.4, radiusKm: 15 },
  { id: 'lis', name: 'Lisbon', lat: 38.72, lon: -9.14, radiusKm: 10 },
  { id: 'nbo', name: 'Nairobi', lat: -1.29, lon: 36.82, radiusKm: 14 },
  { id: 'sin', name: 'Singapore', lat: 1.35, lon: 103.82, radiusKm: 12 },
  { id: 'syd', name: 'Sydney', lat: -33.87, lon: 151.21, radiusKm: 20 },
  { id: 'akl', name: 'Auckland', lat: -36.85, lon: 174.76, radiusKm: 14 },
  { id: 'suv', name: 'Suva', lat: -18.14, lon: 178.44, radiusKm: 10 },
  { id: 'tav', name: 'Taveuni', lat: -16.85, lon: -179.97, radiusKm: 8 },
  { id: 'sea', name: 'Seattle', lat: 47.61, lon: -122.33, radiusKm: 18 },
  { id: 'mex', name: 'Mexico City', lat: 19.43, lon: -99.13, radiusKm: 20 },
  { id: 'gru', name: 'São Paulo', lat: -23.55, lon: -46.63, radiusKm: 22 },
];

export type NodeStatus = 'online' | 'sleeping' | 'low-battery' | 'offline';

/** What a node publishes to `nodes/<id>/state`: a merge patch of its record. */
export interface NodeState {
  name: string;
  site: string;
  lat: number;
  lon: number;
  status: NodeStatus;
  battery: number;
  rssi: number;
  lastSeen: number;
}

interface Node {
  id: string;
  state: NodeState;
  mobile: boolean;
  heading: number;
  /** Ticks left offline. */
  outage: number;
}

const round = (v: number, decimals: number) => Math.round(v * 10 ** decimals) / 10 ** decimals;
const wrapLon = (lon: number) => ((((lon + 180) % 360) + 360) % 360) - 180;

function statusOf(battery: number, outage: number, sleeping: boolean): NodeStatus {
  if (outage > 0 || battery < 3) return 'offline';
  if (battery < 20) return 'low-battery';
  return sleeping ? 'sleeping' : 'online';
}

/** `count` nodes spread over the sites, in a state drawn from `random`. */
export function createNodes(count: number, random: () => number, now = Date.now()): Node[] {
  return Array.from({ length: count }, (_, i) => {
    const site = SITES[i % SITES.length];
    const n = Math.floor(i / SITES.length) + 1;
    const distance = site.radiusKm * Math.sqrt(random());
    const angle = random() * 2 * Math.PI;
    const lat = site.lat + (distance / 111) * Math.cos(angle);
    const lon = wrapLon(site.lon + (distance / (111 * Math.cos((site.lat * Math.PI) / 180))) * Math.sin(angle));
    const battery = round(25 + random() * 75, 1);
    return {
      id: `${site.id}-${String(n).padStart(3, '0')}`,
      mobile: random() < 0.3,
      heading: random() * 2 * Math.PI,
      outage: 0,
      state: {
        name: `${site.id.toUpperCase()}-${String(n).padStart(3, '0')}`,
        site: site.name,
        lat: round(lat, 5),
        lon: round(lon, 5),
        status: statusOf(battery, 0, false),
        battery,
        rssi: Math.round(-55 - random() * 45),
        lastSeen: now,
      },
    };
  });
}

/**
 * One tick of a node's life: it drains (or, now and then, is recharged), may drift, doze or drop
 * out. Returns the alarm it raises, if any.
 */
export function stepNode(node: Node, random: () => number, now = Date.now()): { reason: string } | null {
  const before = node.state.status;
  const s = node.state;
  if (node.outage > 0) node.outage--;
  else if (random() < 0.004) node.outage = 3 + Math.floor(random() * 8);
  s.battery = round(random() < 0.01 ? 100 : Math.max(0, s.battery - (node.mobile ? 0.4 : 0.15) * random()), 1);
  if (node.mobile && node.outage === 0) {
    node.heading += (random() - 0.5) * 0.6;
    const km = 0.05 + random() * 0.25;
    s.lat = round(s.lat + (km / 111) * Math.cos(node.heading), 5);
    s.lon = round(wrapLon(s.lon + (km / (111 * Math.cos((s.lat * Math.PI) / 180))) * Math.sin(node.heading)), 5);
  }
  s.rssi = Math.max(-120, Math.min(-40, Math.round(s.rssi + (random() - 0.5) * 6)));
  s.status = statusOf(s.battery, node.outage, !node.mobile && random() < 0.08);
  s.lastSeen = now;
  if (s.status === before) return null;
  if (s.status === 'offline') return { reason: s.battery < 3 ? 'battery empty' : 'stopped reporting' };
  if (s.status === 'low-battery' && before !== 'offline') return { reason: `battery at ${Math.round(s.battery)}%` };
  return null;
}

export interface DeviceOptions {
  url: string;
  /** Nodes simulated. Default 150. */
  count?: number;
  /** Average time between two messages of one node, ms. Default 2000. */
  intervalMs?: number;
  /** Seed of the simulation. Default: the time. */
  seed?: number;
}

export interface Devices {
  client: MqttClient;
  stop(): Promise<void>;
}

/**
 * Connects to the broker and keeps every node publishing until `stop()`.
 *
 * @example
 * const devices = await startDevices({ url: 'mqtt://127.0.0.1:1883', count: 50 });
 * // … later
 * await devices.stop();
 */
export async function startDevices({ url, count = 150, intervalMs = 2000, seed = Date.now() }: DeviceOptions): Promise<Devices> {
  const random = seededRandom(seed);
  const nodes = createNodes(count, random);
  const client = mqtt.connect(url, { clientId: `node-map-devices-${seed.toString(36)}`, reconnectPeriod: 1000 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  const publish = (node: Node) => client.publish(`nodes/${node.id}/state`, JSON.stringify(node.state), { qos: 1 });
  // everyone reports once at start, so the map fills at once
  for (const node of nodes) publish(node);

  const timers = nodes.map((node) => {
    const tick = () => {
      const wasOffline = node.state.status === 'offline';
      const alarm = stepNode(node, random);
      if (!wasOffline || node.state.status !== 'offline') publish(node);
      if (alarm) client.publish(`nodes/${node.id}/alarm`, JSON.stringify({ ...alarm, name: node.state.name }), { qos: 1 });
      timer = setTimeout(tick, intervalMs * (0.5 + random()));
    };
    let timer = setTimeout(tick, intervalMs * random());
    return () => clearTimeout(timer);
  });

  return {
    client,
    async stop() {
      for (const clear of timers) clear();
      await client.endAsync();
    },
  };
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  const url = option('url') ?? process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const count = Number(option('count') ?? 150);
  const intervalMs = Number(option('interval') ?? 2000);
  startDevices({ url, count, intervalMs })
    .then((devices) => {
      console.log(`${count} nodes publishing to ${url} (nodes/<id>/state), about every ${intervalMs} ms each; Ctrl-C stops them`);
      const stop = () => void devices.stop().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    })
    .catch((error: unknown) => {
      console.error(`cannot reach ${url}: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
