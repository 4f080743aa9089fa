/**
 * One field node (a van, a sensor cart) driving around its metro area. While moving it follows
 * a wandering heading, turns back towards the centre when it strays too far, and drains its
 * battery; parked, it charges. Its link health changes now and then (online → degraded →
 * offline and back), and those transitions are what the alerts report.
 */
import type { Metro } from './catalog';
import { clamp, gaussian, happens, meanRevert, round, uniform, type Random } from './random';
import type { FleetRecord, NodeStatus } from './records';

export interface NodeState {
  readonly id: string;
  readonly name: string;
  readonly metro: Metro;
  /** Simulation time this state describes, ms. */
  readonly t: number;
  readonly lat: number;
  /** Always within [-180, 180). */
  readonly lon: number;
  /** Degrees clockwise from north. */
  readonly heading: number;
  readonly speedKmh: number;
  /** The speed this trip tends towards. */
  readonly cruiseKmh: number;
  readonly moving: boolean;
  readonly status: NodeStatus;
  /** Battery in percent, unrounded. */
  readonly battery: number;
}

export type NodeSignal = 'degraded' | 'offline' | 'recovered' | 'battery-low';

const KM_PER_DEG = 111.32;
const MAX_CHUNK_S = 20;
const DRAIN_PER_S = 0.6 / 60;
const CHARGE_PER_S = 1.2 / 60;
const LOW_BATTERY = 15;

/** Hazard rates (per second) of the link-health transitions. */
const RATES = {
  degrade: 1 / 2400,
  recoverFromDegraded: 1 / 240,
  dropFromDegraded: 1 / 480,
  recoverFromOffline: 1 / 360,
} as const;

/** Wraps a longitude into [-180, 180). */
export function wrapLon(lon: number): number {
  return ((((lon + 180) % 360) + 360) % 360) - 180;
}

/** Local flat-earth offset from the metro centre in km (east, north); fine at city scale. */
function offsetKm(metro: Metro, lat: number, lon: number): { east: number; north: number } {
  return {
    east: wrapLon(lon - metro.lon) * KM_PER_DEG * Math.cos((metro.lat * Math.PI) / 180),
    north: (lat - metro.lat) * KM_PER_DEG,
  };
}

export function distanceFromCentreKm(metro: Metro, lat: number, lon: number): number {
  const { east, north } = offsetKm(metro, lat, lon);
  return Math.hypot(east, north);
}

function bearingToCentre(metro: Metro, lat: number, lon: number): number {
  const { east, north } = offsetKm(metro, lat, lon);
  return (Math.atan2(-east, -north) * 180) / Math.PI;
}

function initialStatus(random: Random): NodeStatus {
  const r = random();
  return r < 0.9 ? 'online' : r < 0.96 ? 'degraded' : 'offline';
}

export function initNode(id: string, name: string, metro: Metro, random: Random, now: number): NodeState {
  const distance = metro.radiusKm * Math.sqrt(random()) * 0.9;
  const bearing = random() * 2 * Math.PI;
  const north = distance * Math.cos(bearing);
  const east = distance * Math.sin(bearing);
  const lat = metro.lat + north / KM_PER_DEG;
  const lon = wrapLon(metro.lon + east / (KM_PER_DEG * Math.cos((metro.lat * Math.PI) / 180)));
  const status = initialStatus(random);
  const moving = status !== 'offline' && random() < 0.55;
  const cruiseKmh = uniform(random, 20, 60);
  return {
    id,
    name,
    metro,
    t: now,
    lat,
    lon,
    heading: random() * 360,
    speedKmh: moving ? cruiseKmh : 0,
    cruiseKmh,
    moving,
    status,
    battery: uniform(random, 30, 100),
  };
}

function nextStatus(status: NodeStatus, random: Random, h: number): NodeStatus {
  switch (status) {
    case 'online':
      return happens(random, RATES.degrade, h) ? 'degraded' : 'online';
    case 'degraded': {
      const total = RATES.recoverFromDegraded + RATES.dropFromDegraded;
      if (!happens(random, total, h)) return 'degraded';
      return random() < RATES.recoverFromDegraded / total ? 'online' : 'offline';
    }
    case 'offline':
      return happens(random, RATES.recoverFromOffline, h) ? 'online' : 'offline';
  }
}

/** Advances the node to `now` (ms). Returns the new state and what worth alerting happened. */
export function advanceNode(n: NodeState, random: Random, now: number): { state: NodeState; signals: NodeSignal[] } {
  const { metro } = n;
  let { lat, lon, heading, speedKmh, cruiseKmh, moving, status, battery } = n;
  const signals: NodeSignal[] = [];
  let remaining = Math.max(0, (now - n.t) / 1000);

  while (remaining > 1e-9) {
    const h = Math.min(MAX_CHUNK_S, remaining);
    remaining -= h;

    const before = status;
    status = nextStatus(status, random, h);
    if (status !== before) {
      if (status === 'degraded') signals.push('degraded');
      else if (status === 'offline') signals.push('offline');
      else if (before === 'offline') signals.push('recovered');
    }

    if (status === 'offline') {
      moving = false;
      speedKmh = 0;
      continue;
    }

    if (moving) {
      const limit = status === 'degraded' ? 40 : 90;
      speedKmh = clamp(meanRevert(random, speedKmh, cruiseKmh, 30, 8, h), 5, limit);
      battery = Math.max(0, battery - DRAIN_PER_S * h);

      const km = (speedKmh * h) / 3600;
      const rad = (heading * Math.PI) / 180;
      lat = clamp(lat + (km * Math.cos(rad)) / KM_PER_DEG, -89.9, 89.9);
      lon = wrapLon(lon + (km * Math.sin(rad)) / (KM_PER_DEG * Math.cos((lat * Math.PI) / 180)));

      if (distanceFromCentreKm(metro, lat, lon) > metro.radiusKm) {
        heading = bearingToCentre(metro, lat, lon) + 25 * gaussian(random);
      } else {
        heading += 12 * Math.sqrt(h / 10) * gaussian(random);
      }
      heading = ((heading % 360) + 360) % 360;

      if (battery < LOW_BATTERY) {
        signals.push('battery-low');
        moving = false;
      } else if (happens(random, 1 / 420, h)) {
        moving = false;
      }
      if (!moving) speedKmh = 0;
    } else {
      battery = Math.min(100, battery + CHARGE_PER_S * h);
      if (battery > 35 && happens(random, 1 / 240, h)) {
        moving = true;
        heading = random() * 360;
        cruiseKmh = uniform(random, 20, 60);
        speedKmh = cruiseKmh * 0.5;
      }
    }
  }

  return {
    state: { ...n, t: Math.max(n.t, now), lat, lon, heading, speedKmh, cruiseKmh, moving, status, battery },
    signals,
  };
}

export function fleetRecord(n: NodeState, now: number): FleetRecord {
  return {
    id: n.id,
    name: n.name,
    metro: n.metro.id,
    lat: round(n.lat, 5),
    lon: round(wrapLon(n.lon), 5),
    status: n.status,
    battery: Math.round(n.battery),
    moving: n.moving,
    speedKmh: n.moving ? Math.round(n.speedKmh) : 0,
    updatedAt: Math.round(now),
  };
}
