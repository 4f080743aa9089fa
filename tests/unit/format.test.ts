import { formatAge, formatClock, formatDuration, formatInteger, formatNumber, formatPercent, freshness } from '@/components/format';
import {
  containsPoint,
  crossesAntimeridian,
  describeBounds,
  formatLat,
  formatLon,
  isWholeWorld,
  lonSpan,
  normalizeLon,
  REGION_PRESETS,
  sameBounds,
  WORLD_BOUNDS,
} from '@/components/geo';
import { buildSparklinePath } from '@/components/Sparkline';
import { validateFilter } from '@/lib/protocol/filter';

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
    expect(p.line).toBe('M0,20L50,10L100,0');
    // the area is the line closed along the baseline
    expect(p.area).toBe('M0,20L50,10L100,0L100,20L0,20Z');
    expect(p.last).toEqual({ x: 100, y: 0 });
  });

  it('honours explicit min and max, clamping outliers', () => {
    const p = buildSparklinePath([-5, 50, 150], { width: 20, height: 10, min: 0, max: 100, padding: 0 });
    expect(p.line).toBe('M0,10L10,5L20,0');
  });

  it('keeps a padding inset', () => {
    const p = buildSparklinePath([1, 2], { width: 24, height: 14, padding: 2 });
    expect(p.line).toBe('M2,12L22,2');
  });

  it('handles empty, single, flat and non-finite input', () => {
    expect(buildSparklinePath([], { width: 10, height: 10 })).toEqual({ line: '', area: '', last: null, points: 0 });
    expect(buildSparklinePath([Number.NaN], { width: 10, height: 10 }).line).toBe('');
    expect(buildSparklinePath([7], { width: 10, height: 10, padding: 0 }).line).toBe('M0,5L10,5');
    // a level stretch is drawn by its two ends
    expect(buildSparklinePath([3, 3, 3], { width: 10, height: 10, padding: 0 }).line).toBe('M0,5L10,5');
  });

  it('leaves a gap where a value is null or not finite, in place', () => {
    expect(buildSparklinePath([1, null, 2, 3], { width: 30, height: 10, padding: 0 }).line).toBe('M0,10ZM20,5L30,0');
    expect(buildSparklinePath([1, Number.NaN, 3], { width: 10, height: 10, padding: 0 }).line).toBe('M0,10ZM10,0Z');
  });

  it('widens a flat range to a smallest span', () => {
    // 50 and 51 with a span of 10: from 45.5 to 55.5
    expect(buildSparklinePath([50, 51], { width: 10, height: 10, padding: 0, minSpan: 10 }).line).toBe('M0,5.5L10,4.5');
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

  it('knows a box that covers the globe', () => {
    expect(isWholeWorld(WORLD_BOUNDS)).toBe(true);
    expect(isWholeWorld({ north: 90, south: -90, west: 0, east: 0 })).toBe(false);
    expect(isWholeWorld({ north: 89, south: -90, west: -180, east: 180 })).toBe(false);
  });

  it('describes bounds for people', () => {
    expect(describeBounds(null)).toBe('Whole world');
    expect(describeBounds(WORLD_BOUNDS)).toBe('Whole world');
    expect(describeBounds({ north: 41, south: 40, west: -75, east: -73 })).toBe('40.00°N – 41.00°N, 75.00°W → 73.00°W');
    expect(describeBounds({ north: -10, south: -20, west: 170, east: -170 })).toContain('(across 180°)');
    expect(formatLat(-33.5, 1)).toBe('33.5°S');
    expect(formatLat(0, 0)).toBe('0°');
    expect(formatLon(180, 0)).toBe('180°');
    expect(formatLon(-73.9)).toBe('73.90°W');
  });
});
