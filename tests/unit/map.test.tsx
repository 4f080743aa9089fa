import { geoPath } from 'd3-geo';
import { renderToStaticMarkup } from 'react-dom/server';
import { containsPoint, REGION_PRESETS, WORLD_BOUNDS, type Bounds } from '@/components/geo';
import { clusterIndex, clusterMarks, countTones, markCount, worstTone, type MapCluster, type MapPoint } from '@/components/map/clusters';
import { landPath } from '@/components/map/land';
import { boundsFromRect, boundsPolygon, clusterZoom, graticuleStep, mapFrame, visibleBounds } from '@/components/map/projection';
import { clusterRadius, pointsBounds, WorldMap } from '@/components/map/WorldMap';
import { validateFilter } from '@/lib/protocol/filter';

const SIZE = { width: 960, height: 480 };
const EUROPE = REGION_PRESETS.find((p) => p.id === 'europe')!.bounds!;
const FIJI: Bounds = { north: -5, south: -45, west: 165, east: -170 };

function point(id: string, lat: number, lon: number, tone: MapPoint['tone'] = 'ok'): MapPoint {
  return { id, lat, lon, tone, label: id.toUpperCase() };
}

/** A few nodes around a place, within about a kilometre. */
function around(prefix: string, lat: number, lon: number, n: number, tone: MapPoint['tone'] = 'ok'): MapPoint[] {
  return Array.from({ length: n }, (_, i) => point(`${prefix}-${i}`, lat + (i % 3) * 0.004, lon + Math.floor(i / 3) * 0.004, tone));
}

describe('map frames', () => {
  it('shows the whole world as one Equal Earth map for no bounds or a box around the globe', () => {
    const world = mapFrame(null, SIZE);
    expect(world.kind).toBe('world');
    expect(mapFrame(WORLD_BOUNDS, SIZE).key).toBe(world.key);
    const [x, y] = world.projection([0, 0])!;
    expect(x).toBeCloseTo(480, 0);
    expect(y).toBeCloseTo(240, 0);
    expect(visibleBounds(world)).toEqual(WORLD_BOUNDS);
  });

  it('frames a region inside the drawing, with a margin', () => {
    const frame = mapFrame(EUROPE, SIZE);
    expect(frame.kind).toBe('region');
    for (const [lon, lat] of [
      [EUROPE.west, EUROPE.north],
      [EUROPE.east, EUROPE.south],
      [10, 50],
    ]) {
      const [x, y] = frame.projection([lon, lat])!;
      expect(x).toBeGreaterThanOrEqual(20);
      expect(x).toBeLessThanOrEqual(940);
      expect(y).toBeGreaterThanOrEqual(20);
      expect(y).toBeLessThanOrEqual(460);
    }
  });

  it('turns a box across the antimeridian to the middle, in one piece', () => {
    const frame = mapFrame(FIJI, SIZE);
    expect(frame.centerLon).toBeCloseTo(177.5, 6);
    const east = frame.projection([179.9, -17])!;
    const west = frame.projection([-179.9, -17])!;
    expect(Math.abs(west[0] - east[0])).toBeLessThan(10);
    expect(west[0]).toBeGreaterThan(east[0]);
    expect(east[0]).toBeGreaterThan(400);
    expect(west[0]).toBeLessThan(600);
  });

  it('zooms the clustering with the frame', () => {
    const world = clusterZoom(mapFrame(null, SIZE));
    const europe = clusterZoom(mapFrame(EUROPE, SIZE));
    const city = clusterZoom(mapFrame({ north: 51.7, south: 51.3, west: -0.5, east: 0.3 }, SIZE));
    expect(world).toBeGreaterThan(0);
    expect(world).toBeLessThan(2);
    expect(europe).toBeGreaterThan(world + 1);
    expect(city).toBeGreaterThan(europe + 4);
  });

  it('draws the land once per frame from Natural Earth', () => {
    const frame = mapFrame(null, SIZE);
    const d = landPath(frame);
    expect(d.length).toBeGreaterThan(10_000);
    expect(d.startsWith('M')).toBe(true);
    expect(landPath(mapFrame(null, SIZE))).toBe(d);
    // a metro area shows little land, clipped to the drawing
    expect(landPath(mapFrame({ north: 41, south: 40.4, west: -74.3, east: -73.6 }, SIZE)).length).toBeLessThan(2000);
  });

  it('picks a graticule of about a dozen lines', () => {
    expect(graticuleStep(360)).toBe(30);
    expect(graticuleStep(100)).toBe(10);
    expect(graticuleStep(1)).toBe(0.1);
  });
});

describe('bounds from a drawn box', () => {
  it('gives back the bounds of a region drawn around it (Mercator is exact)', () => {
    const frame = mapFrame({ north: 52, south: 51, west: -0.6, east: 0.4 }, SIZE);
    const want = { north: 51.7, south: 51.3, west: -0.4, east: 0.2 };
    const [x0, y0] = frame.projection([want.west, want.north])!;
    const [x1, y1] = frame.projection([want.east, want.south])!;
    const got = boundsFromRect({ x: x1, y: y1 }, { x: x0, y: y0 }, frame)!;
    expect(got.north).toBeCloseTo(want.north, 3);
    expect(got.south).toBeCloseTo(want.south, 3);
    expect(got.west).toBeCloseTo(want.west, 3);
    expect(got.east).toBeCloseTo(want.east, 3);
  });

  it('gives west > east for a box drawn across 180°, a valid filter', () => {
    const frame = mapFrame(FIJI, SIZE);
    const [x0, y0] = frame.projection([175, -10])!;
    const [x1, y1] = frame.projection([-175, -25])!;
    const got = boundsFromRect({ x: x0, y: y0 }, { x: x1, y: y1 }, frame)!;
    expect(got.west).toBeCloseTo(175, 2);
    expect(got.east).toBeCloseTo(-175, 2);
    expect(got.west).toBeGreaterThan(got.east);
    expect(validateFilter({ bounds: got }).ok).toBe(true);
    expect(containsPoint(got, -17, 179.9)).toBe(true);
    expect(containsPoint(got, -17, -179.9)).toBe(true);
  });

  it('takes the whole globe for a box over the whole world map, poles included', () => {
    const frame = mapFrame(null, SIZE);
    expect(boundsFromRect({ x: -10, y: -10 }, { x: 2000, y: 2000 }, frame)).toEqual(WORLD_BOUNDS);
  });

  it('returns null for a degenerate box or one off the globe', () => {
    const frame = mapFrame(null, SIZE);
    expect(boundsFromRect({ x: 10, y: 10 }, { x: 10, y: 50 }, frame)).toBeNull();
    // the corner of an Equal Earth map is space
    expect(boundsFromRect({ x: 0, y: 0 }, { x: 12, y: 12 }, frame)).toBeNull();
  });

  it('outlines a box as its inside, not the rest of the globe', () => {
    const frame = mapFrame(null, SIZE);
    const area = geoPath(frame.projection).area(boundsPolygon(EUROPE));
    expect(area).toBeGreaterThan(0);
    expect(area).toBeLessThan(960 * 480 * 0.1);
    expect(geoPath(frame.projection).area(boundsPolygon(FIJI))).toBeLessThan(960 * 480 * 0.1);
  });
});

describe('clustering', () => {
  const london = around('lon', 51.5, -0.12, 3);
  const paris = around('par', 48.86, 2.35, 2, 'bad');
  const nyc = [point('nyc-0', 40.71, -74, 'warn')];
  const all = [...london, ...paris, ...nyc];

  const clusters = (marks: ReturnType<typeof clusterMarks>) => marks.filter((m): m is MapCluster => m.kind === 'cluster');

  it('merges overlapping points into clusters with counts, keeping the total', () => {
    const marks = clusterMarks(clusterIndex(all), clusterZoom(mapFrame(null, SIZE)));
    expect(markCount(marks)).toBe(6);
    // London and Paris overlap on a world map; New York stands alone
    const [europe] = clusters(marks);
    expect(clusters(marks)).toHaveLength(1);
    expect(europe.count).toBe(5);
    expect(europe.tones).toMatchObject({ ok: 3, bad: 2 });
    expect(europe.worst).toBe('bad');
    expect(europe.members.map((m) => m.id).sort()).toEqual([...london, ...paris].map((p) => p.id).sort());
    expect(marks.find((m) => m.kind === 'point')).toMatchObject({ point: { id: 'nyc-0' } });
  });

  it('splits clusters when the map zooms into a box', () => {
    const europe = clusterMarks(clusterIndex(all), clusterZoom(mapFrame(EUROPE, SIZE)));
    expect(clusters(europe).map((c) => c.count).sort()).toEqual([2, 3]);
    // zoomed to London, nodes a few kilometres apart stand alone
    const spread = [point('a', 51.5, -0.12), point('b', 51.53, -0.1), point('c', 51.47, -0.16)];
    const city = mapFrame(pointsBounds(spread, -0.12), SIZE);
    const marks = clusterMarks(clusterIndex(spread, { centerLon: city.centerLon }), clusterZoom(city));
    expect(marks.every((m) => m.kind === 'point')).toBe(true);
    expect(markCount(marks)).toBe(3);
  });

  it('drops a record from its cluster when it leaves the bounds', () => {
    // what the hub sends for a bounds filter: the records inside
    const inside = (points: MapPoint[]) => points.filter((p) => containsPoint(EUROPE, p.lat, p.lon));
    const zoom = clusterZoom(mapFrame(null, SIZE));
    const before = clusters(clusterMarks(clusterIndex(inside(all)), zoom));
    expect(before.map((c) => c.count)).toEqual([5]);
    const moved = all.map((p) => (p.id === 'par-1' ? { ...p, lat: 30, lon: -40 } : p));
    const after = clusterMarks(clusterIndex(inside(moved)), zoom);
    expect(clusters(after).map((c) => c.count)).toEqual([4]);
    expect(clusters(after)[0].members.map((m) => m.id)).not.toContain('par-1');
    expect(markCount(after)).toBe(4);
  });

  it('clusters across the antimeridian when the map is centred on it', () => {
    const fiji = [point('a', -16.8, 179.98), point('b', -16.82, -179.98), point('c', -16.81, 179.99)];
    const frame = mapFrame(FIJI, SIZE);
    const marks = clusterMarks(clusterIndex(fiji, { centerLon: frame.centerLon }), clusterZoom(frame));
    expect(marks).toHaveLength(1);
    expect(marks[0]).toMatchObject({ kind: 'cluster', count: 3 });
    expect(Math.abs((marks[0] as MapCluster).lon)).toBeGreaterThan(179.9);
  });

  it('leaves out points without a position and counts tones', () => {
    const index = clusterIndex([point('x', Number.NaN, 0), point('y', 0, 0, 'info')]);
    expect(index.points.map((p) => p.id)).toEqual(['y']);
    expect(countTones(all)).toEqual({ ok: 3, bad: 2, warn: 1, info: 0, muted: 0 });
    expect(worstTone({ ok: 1, warn: 0, bad: 0, info: 2, muted: 4 })).toBe('info');
    expect(worstTone({ ok: 0, warn: 0, bad: 0, info: 0, muted: 0 })).toBe('muted');
    expect(clusterMarks(clusterIndex([]), 3)).toEqual([]);
  });

  it('sizes clusters slowly with their count and frames their points', () => {
    expect(clusterRadius(2)).toBeLessThan(clusterRadius(300));
    expect(clusterRadius(10_000)).toBeLessThanOrEqual(26);
    const b = pointsBounds([point('a', -16.8, 179.9), point('b', -17, -179.9)], 180)!;
    expect(b.west).toBeGreaterThan(b.east);
    expect(containsPoint(b, -16.9, 180)).toBe(true);
  });
});

describe('WorldMap', () => {
  const render = renderToStaticMarkup;
  const points = [...around('lon', 51.5, -0.12, 3), point('nyc', 40.71, -74, 'bad'), point('fj1', -16.8, 179.95), point('fj2', -16.85, -179.95)];

  it('draws land, clusters and points on the server, with the total shown', () => {
    const html = render(<WorldMap points={points} bounds={null} onBoundsChange={() => {}} noun="devices" />);
    expect(html).toContain('class="pb-map__land"');
    expect(html).toContain('class="pb-map__sphere"');
    expect(html).toContain('data-count="3"');
    expect(html).toContain('data-ids="lon-0 lon-1 lon-2"');
    expect(html).toContain('data-shown="6"');
    expect(html).toContain('aria-label="Map: 6 devices, Whole world"');
    expect(html).toContain('aria-pressed="true">World</button>');
    expect(html).not.toContain('class="pb-map__bounds"');
  });

  it('zooms to a box across 180° and outlines it', () => {
    const html = render(<WorldMap points={points.filter((p) => containsPoint(FIJI, p.lat, p.lon))} bounds={FIJI} onBoundsChange={() => {}} />);
    expect(html).toContain('class="pb-map__bounds"');
    expect(html).toContain('(across 180°)');
    expect(html).toContain('aria-pressed="true">Antimeridian</button>');
    expect(html).toContain('data-shown="2"');
  });

  it('has no toolbar when nobody listens for bounds', () => {
    const html = render(<WorldMap points={points} bounds={null} />);
    expect(html).not.toContain('role="toolbar"');
  });
});
