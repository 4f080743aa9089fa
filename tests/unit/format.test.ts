import { formatAge, formatClock, formatDuration, formatInteger, formatNumber, formatPercent, freshness } from '@/components/format';
import {
  boundsFromRect,
  boundsToRects,
  containsPoint,
  crossesAntimeridian,
  describeBounds,
  formatLat,
  formatLon,
  graticuleStep,
  gridValues,
  lonSpan,
  normalizeLon,
  project,
  REGION_PRESETS,
  ringsPath,
  sameBounds,
  unproject,
  viewForBounds,
  WORLD_VIEW,
  type MapView,
} from '@/components/geo';
import { buildSparklinePath } from '@/components/Sparkline';
import { validateFilter } from '@/lib/protocol/filter';

const SIZE = { width: 960, height: 480 };

describe('formatAge', () => {
  it.each([
    [0, 'Live'],
    [1_999, 'Live'],
    [2_000, 'Just now'],
    [4_999, 'Just now'],
    [5_000, '5s ago'],
    [59_999, '59s ago'],
    [60_000, '1m ago'],
    [125_000, '2m ago'],
    [3_599_999, '59m ago'],
    [3_600_000, '1h ago'],
    [86_399_999, '23h ago'],
    [3 * 86_400_000, '3d ago'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });

  it('treats a clock slightly ahead as live and nonsense as unknown', () => {
    expect(formatAge(-1500)).toBe('Live');
    expect(formatAge(Number.NaN)).toBe('—');
  });

  it('buckets freshness', () => {
    expect(freshness(1000)).toBe('live');
    expect(freshness(30_000)).toBe('recent');
    expect(freshness(5 * 60_000)).toBe('stale');
    expect(freshness(60 * 60_000)).toBe('old');
  });
});

describe('number formatting', () => {
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(42.4)).toBe('42s');
    expect(formatDuration(65)).toBe('1m 05s');
    expect(formatDuration(3720)).toBe('1h 02m');
    expect(formatDuration(-1)).toBe('—');
  });

  it('groups integers the same way everywhere', () => {
    expect(formatInteger(0)).toBe('0');
    expect(formatInteger(999)).toBe('999');
    expect(formatInteger(1234567)).toBe('1,234,567');
    expect(formatInteger(-12345.6)).toBe('-12,346');
    expect(formatInteger(Number.POSITIVE_INFINITY)).toBe('—');
  });

  it('formats percentages, decimals and clock times', () => {
    expect(formatPercent(0.734)).toBe('73%');
    expect(formatPercent(0.7345, 1)).toBe('73.5%');
    expect(formatNumber(3.14159, 2)).toBe('3.14');
    expect(formatNumber(12345)).toBe('12,345');
    expect(formatClock(Date.UTC(2026, 0, 1, 9, 5, 7))).toBe('09:05:07');
  });
});

describe('buildSparklinePath', () => {
  it('maps values onto the box, lowest at the bottom', () => {
    const p = buildSparklinePath([0, 5, 10], { width: 100, height: 20, padding: 0 });
    expect(p.line).toBe('M0 20L50 10L100 0');
    expect(p.area).toBe('M0 20L50 10L100 0L100 20L0 20Z');
    expect(p.last).toEqual({ x: 100, y: 0 });
  });

  it('honours explicit min and max, clamping outliers', () => {
    const p = buildSparklinePath([-5, 50, 150], { width: 20, height: 10, min: 0, max: 100, padding: 0 });
    expect(p.line).toBe('M0 10L10 5L20 0');
  });

  it('keeps a padding inset', () => {
    const p = buildSparklinePath([1, 2], { width: 24, height: 14, padding: 2 });
    expect(p.line).toBe('M2 12L22 2');
  });

  it('handles empty, single, flat and non-finite input', () => {
    expect(buildSparklinePath([], { width: 10, height: 10 })).toEqual({ line: '', area: '', last: null });
    expect(buildSparklinePath([Number.NaN], { width: 10, height: 10 }).line).toBe('');
    expect(buildSparklinePath([7], { width: 10, height: 10, padding: 0 }).line).toBe('M0 5L10 5');
    expect(buildSparklinePath([3, 3, 3], { width: 10, height: 10, padding: 0 }).line).toBe('M0 5L5 5L10 5');
    expect(buildSparklinePath([1, Number.NaN, 3], { width: 10, height: 10, padding: 0 }).line).toBe('M0 10L10 0');
  });
});

describe('longitudes and bounds', () => {
  it('normalizes longitudes into [-180, 180)', () => {
    expect(normalizeLon(0)).toBe(0);
    expect(normalizeLon(180)).toBe(-180);
    expect(normalizeLon(190)).toBe(-170);
    expect(normalizeLon(-190)).toBe(170);
    expect(normalizeLon(540)).toBe(-180);
  });

  it('measures eastward spans, across 180° too', () => {
    expect(lonSpan(-10, 10)).toBe(20);
    expect(lonSpan(170, -170)).toBe(20);
    expect(lonSpan(-180, 180)).toBe(360);
  });

  it('tests containment like the hub does', () => {
    const fiji = { north: -10, south: -25, west: 170, east: -170 };
    expect(crossesAntimeridian(fiji)).toBe(true);
    expect(containsPoint(fiji, -17, 179.9)).toBe(true);
    expect(containsPoint(fiji, -17, -179.9)).toBe(true);
    expect(containsPoint(fiji, -17, 0)).toBe(false);
    expect(containsPoint(fiji, -30, 179.9)).toBe(false);
    expect(containsPoint({ north: 10, south: -10, west: -10, east: 10 }, 0, 0)).toBe(true);
  });

  it('compares bounds with a tolerance, null included', () => {
    expect(sameBounds(null, null)).toBe(true);
    expect(sameBounds(null, { north: 1, south: 0, east: 1, west: 0 })).toBe(false);
    expect(sameBounds({ north: 1, south: 0, east: 1, west: 0 }, { north: 1 + 1e-9, south: 0, east: 1, west: 0 })).toBe(true);
  });

  it('offers presets that are all valid filters, one across the antimeridian', () => {
    for (const preset of REGION_PRESETS) {
      if (preset.bounds) expect(validateFilter({ bounds: preset.bounds })).toEqual({ ok: true, filter: { bounds: preset.bounds } });
    }
    expect(REGION_PRESETS.map((p) => p.label)).toEqual(['World', 'Americas', 'Europe', 'Asia-Pacific', 'Antimeridian']);
    const anti = REGION_PRESETS.find((p) => p.id === 'antimeridian')!.bounds!;
    expect(crossesAntimeridian(anti)).toBe(true);
    expect(containsPoint(anti, -16.85, -179.95)).toBe(true); // Taveuni
    expect(containsPoint(anti, -36.85, 174.76)).toBe(true); // Auckland
  });

  it('describes bounds for people', () => {
    expect(describeBounds(null)).toBe('Whole world');
    expect(describeBounds({ north: 41, south: 40, west: -75, east: -73 })).toBe('40.00°N – 41.00°N, 75.00°W → 73.00°W');
    expect(describeBounds({ north: -10, south: -20, west: 170, east: -170 })).toContain('(across 180°)');
    expect(formatLat(-33.5, 1)).toBe('33.5°S');
    expect(formatLat(0, 0)).toBe('0°');
    expect(formatLon(180, 0)).toBe('180°');
    expect(formatLon(-73.9)).toBe('73.90°W');
  });
});

describe('projection', () => {
  it('maps the world view corners and centre', () => {
    expect(project({ lat: 90, lon: -180 }, WORLD_VIEW, SIZE)).toEqual({ x: 0, y: 0 });
    expect(project({ lat: 0, lon: 0 }, WORLD_VIEW, SIZE)).toEqual({ x: 480, y: 240 });
    expect(project({ lat: -90, lon: 179.999 }, WORLD_VIEW, SIZE).x).toBeCloseTo(960, 1);
    expect(project({ lat: 40.7, lon: -74 }, WORLD_VIEW, SIZE).x).toBeCloseTo(((180 - 74) / 360) * 960, 6);
  });

  it('round-trips through unproject', () => {
    const view: MapView = { west: 160, span: 40, north: 0, south: -20 };
    for (const p of [
      { lat: -17, lon: 179.5 },
      { lat: -5, lon: -175 },
      { lat: -19.5, lon: 161 },
    ]) {
      const back = unproject(project(p, view, SIZE), view, SIZE);
      expect(back.lat).toBeCloseTo(p.lat, 9);
      expect(back.lon).toBeCloseTo(p.lon, 9);
    }
  });

  it('keeps a view across the antimeridian contiguous', () => {
    const view: MapView = { west: 170, span: 20, north: -10, south: -20 };
    const east = project({ lat: -15, lon: 179.9 }, view, SIZE);
    const west = project({ lat: -15, lon: -179.9 }, view, SIZE);
    expect(east.x).toBeCloseTo(((179.9 - 170) / 20) * 960, 6);
    expect(west.x).toBeCloseTo(((180.1 - 170) / 20) * 960, 6);
    expect(west.x - east.x).toBeCloseTo((0.2 / 20) * 960, 6);
  });

  it('frames bounds with margin at the drawing aspect', () => {
    expect(viewForBounds(null)).toBe(WORLD_VIEW);
    const b = { north: 41, south: 40, west: -75, east: -73 };
    const v = viewForBounds(b, 2);
    expect(v.west).toBeLessThan(-75);
    expect(v.west + v.span).toBeGreaterThan(-73);
    expect(v.north).toBeGreaterThan(41);
    expect(v.south).toBeLessThan(40);
    const cos = Math.cos((40.5 * Math.PI) / 180);
    expect((v.span * cos) / (v.north - v.south)).toBeCloseTo(2, 6);
  });

  it('frames a box across the antimeridian without splitting it', () => {
    const v = viewForBounds({ north: -10, south: -25, west: 170, east: -170 }, 2);
    expect(v.west).toBeLessThan(170);
    expect(v.west).toBeGreaterThan(150);
    expect(v.west + v.span).toBeGreaterThan(190);
    expect(v.span).toBeLessThan(60);
  });

  it('falls back to the world for huge boxes and keeps latitudes on the globe', () => {
    expect(viewForBounds({ north: 89, south: -89, west: -180, east: 180 })).toBe(WORLD_VIEW);
    const polar = viewForBounds({ north: 89, south: 80, west: 0, east: 10 });
    expect(polar.north).toBeLessThanOrEqual(90);
    expect(polar.south).toBeGreaterThanOrEqual(-90);
  });
});

describe('boundsFromRect', () => {
  it('turns a dragged rectangle into bounds (either drag direction)', () => {
    const a = { x: 240, y: 120 };
    const b = { x: 480, y: 240 };
    const expected = { north: 45, south: 0, west: -90, east: 0 };
    expect(boundsFromRect(a, b, WORLD_VIEW, SIZE)).toEqual(expected);
    expect(boundsFromRect(b, a, WORLD_VIEW, SIZE)).toEqual(expected);
  });

  it('gives west > east for a box drawn across 180° in a shifted view', () => {
    const view: MapView = { west: 160, span: 40, north: 0, south: -20 };
    const b = boundsFromRect({ x: 240, y: 0 }, { x: 720, y: 480 }, view, SIZE)!;
    expect(b).toEqual({ north: 0, south: -20, west: 170, east: -170 });
    expect(validateFilter({ bounds: b }).ok).toBe(true);
  });

  it('uses 180 (not -180) for an east edge on the line, and the full range for a full drag', () => {
    expect(boundsFromRect({ x: 480, y: 0 }, { x: 960, y: 240 }, WORLD_VIEW, SIZE)).toEqual({ north: 90, south: 0, west: 0, east: 180 });
    expect(boundsFromRect({ x: -50, y: -50 }, { x: 2000, y: 2000 }, WORLD_VIEW, SIZE)).toEqual({
      north: 90,
      south: -90,
      west: -180,
      east: 180,
    });
  });

  it('returns null for a degenerate box', () => {
    expect(boundsFromRect({ x: 10, y: 10 }, { x: 10, y: 50 }, WORLD_VIEW, SIZE)).toBeNull();
  });

  it('round-trips with boundsToRects', () => {
    const view = viewForBounds({ north: 52, south: 51, west: -0.6, east: 0.4 });
    const bounds = { north: 51.7, south: 51.3, west: -0.4, east: 0.2 };
    const [r] = boundsToRects(bounds, view, SIZE);
    const back = boundsFromRect({ x: r.x, y: r.y }, { x: r.x + r.width, y: r.y + r.height }, view, SIZE)!;
    expect(back.north).toBeCloseTo(bounds.north, 3);
    expect(back.south).toBeCloseTo(bounds.south, 3);
    expect(back.west).toBeCloseTo(bounds.west, 3);
    expect(back.east).toBeCloseTo(bounds.east, 3);
  });
});

describe('boundsToRects', () => {
  it('draws one rectangle for an ordinary box', () => {
    const rects = boundsToRects({ north: 45, south: 0, west: -90, east: 0 }, WORLD_VIEW, SIZE);
    expect(rects).toEqual([{ x: 240, y: 120, width: 240, height: 120 }]);
  });

  it('draws both halves of a box across 180° in the world view', () => {
    const rects = boundsToRects({ north: 0, south: -45, west: 135, east: -135 }, WORLD_VIEW, SIZE);
    expect(rects).toHaveLength(2);
    expect(rects[0]).toEqual({ x: 840, y: 240, width: 240, height: 120 });
    expect(rects[1]).toEqual({ x: -120, y: 240, width: 240, height: 120 });
  });

  it('draws one rectangle for the same box in a view centred on 180°', () => {
    const view: MapView = { west: 90, span: 180, north: 45, south: -45 };
    expect(boundsToRects({ north: 0, south: -45, west: 135, east: -135 }, view, SIZE)).toEqual([
      { x: 240, y: 240, width: 480, height: 240 },
    ]);
  });
});

describe('graticule', () => {
  it('picks at most about a dozen lines', () => {
    expect(graticuleStep(360)).toBe(30);
    expect(graticuleStep(100)).toBe(10);
    expect(graticuleStep(10)).toBe(1);
    expect(graticuleStep(1)).toBe(0.1);
    expect(graticuleStep(0.05)).toBe(0.01);
  });

  it('lists grid values between two edges', () => {
    expect(gridValues(-180, 180, 30)).toEqual([-180, -150, -120, -90, -60, -30, 0, 30, 60, 90, 120, 150, 180]);
    expect(gridValues(0.05, 0.35, 0.1)).toEqual([0.1, 0.2, 0.3]);
    expect(gridValues(170, 190, 5)).toEqual([170, 175, 180, 185, 190]);
  });
});

describe('ringsPath', () => {
  const square = [
    [10, 10],
    [20, 10],
    [20, 0],
  ] as const;

  it('projects rings and leaves out those outside the view', () => {
    expect(ringsPath([square], WORLD_VIEW, SIZE)).toBe('M506.7 213.3L533.3 213.3L533.3 240.0Z');
    const far: MapView = { west: -100, span: 20, north: 10, south: 0 };
    expect(ringsPath([square], far, SIZE)).toBe('');
  });

  it('shifts copies by whole turns for views across 180°', () => {
    const view: MapView = { west: 170, span: 40, north: 20, south: 0 };
    const ring = [
      [-175, 15],
      [-170, 15],
      [-170, 10],
    ] as const;
    expect(ringsPath([ring], view, SIZE, 0)).toBe('');
    expect(ringsPath([ring], view, SIZE, 360)).toBe('M360.0 120.0L480.0 120.0L480.0 240.0Z');
  });
});
