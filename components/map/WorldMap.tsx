'use client';

/**
 * A world map of records, drawn as SVG on the server as in the browser (no tiles, no network):
 * Natural Earth land through a d3-geo projection, points coloured by tone, and clusters where
 * points would overlap (a ring showing the mix of tones around the count). The viewer picks a
 * region preset, drags a box or clicks a cluster; the map reports the new bounds through
 * `onBoundsChange` and, by default, zooms to them, which splits the clusters.
 */
import { arc, pie } from 'd3-shape';
import { geoPath } from 'd3-geo';
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent, type RefObject } from 'react';
import { formatInteger } from '../format';
import { describeBounds, isWholeWorld, normalizeLon, REGION_PRESETS, sameBounds, type Bounds, type RegionPreset } from '../geo';
import { clusterIndex, clusterMarks, markCount, TONE_ORDER, type MapCluster, type MapPoint, type MapTone, type ToneCounts } from './clusters';
import { landPath, spherePath } from './land';
import { boundsFromRect, boundsPolygon, clusterZoom, graticuleFor, mapFrame, type Point, type Size } from './projection';
import './map.css';

/** One entry of the legend under the map. */
export interface MapLegendItem {
  label: string;
  tone: MapTone;
  count: number;
}

export interface WorldMapProps {
  points: readonly MapPoint[];
  /** The bounds filter in force, or `null` for the whole world. */
  bounds: Bounds | null;
  /** Called with the region the viewer picks; without it the map has no toolbar and no box drawing. */
  onBoundsChange?(bounds: Bounds | null): void;
  /** Region buttons (default: World, Americas, Europe, Asia-Pacific, Antimeridian). */
  presets?: readonly RegionPreset[];
  /** Frame the view on the bounds (default true); otherwise always show the whole world. */
  zoomToBounds?: boolean;
  /** Under the map; default: one entry per tone present. */
  legend?: readonly MapLegendItem[];
  /** Words for tones in a cluster's description ("ok" → "online"). */
  toneLabels?: Partial<Record<MapTone, string>>;
  /** What a point is, plural ("nodes"). Default "records". */
  noun?: string;
  /** Accessible name of the map. */
  label?: string;
  className?: string;
}

/** The drawing on the server, and until the browser has measured the map. */
const SERVER_SIZE: Size = { width: 960, height: 480 };
/** Measured widths are rounded to this many pixels, so resizing redraws the land now and then, not on every pixel. */
const WIDTH_STEP = 40;
/** A drag shorter than this (in drawing units) is a click, not a box. */
const MIN_DRAG = 6;
/** Cluster names listed on hover before "and N more". */
const NAMES_SHOWN = 8;

const DEFAULT_TONE_LABELS: Record<MapTone, string> = { ok: 'ok', warn: 'warning', bad: 'bad', info: 'info', muted: 'other' };

/** Cluster radius in drawing units: grows with the count, slowly. */
export function clusterRadius(count: number): number {
  return Math.round((10 + 4 * Math.log10(Math.max(count, 1))) * 10) / 10;
}

/**
 * Bounds around points (a cluster's members), with `margin` of their extent on each side and at
 * least `minDeg` across; continuous through 180° when that is where they are.
 */
export function pointsBounds(points: readonly Pick<MapPoint, 'lat' | 'lon'>[], around: number, margin = 0.25, minDeg = 0.2): Bounds | null {
  if (points.length === 0) return null;
  let north = -90;
  let south = 90;
  let west = Infinity;
  let east = -Infinity;
  for (const p of points) {
    const rel = normalizeLon(p.lon - around);
    north = Math.max(north, p.lat);
    south = Math.min(south, p.lat);
    west = Math.min(west, rel);
    east = Math.max(east, rel);
  }
  const padLat = Math.max((north - south) * margin, minDeg / 2);
  const padLon = Math.max((east - west) * margin, minDeg / 2);
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  const w = normalizeLon(around + west - padLon);
  const e = normalizeLon(around + east + padLon);
  return {
    north: round(Math.min(90, north + padLat)),
    south: round(Math.max(-90, south - padLat)),
    west: round(w),
    east: round(e === -180 ? 180 : e),
  };
}

/**
 * The drawing's size in CSS pixels once measured (so a cluster's radius and its count's font are
 * the same on a phone as on a desktop), the server's until then. Always 2:1.
 */
function useDrawingSize(ref: RefObject<Element | null>): Size {
  const [width, setWidth] = useState<number | null>(null);
  useEffect(() => {
    const element = ref.current;
    if (!element || typeof ResizeObserver === 'undefined') return;
    const measure = () => {
      const w = element.getBoundingClientRect().width;
      if (w > 0) setWidth(Math.max(WIDTH_STEP * 6, Math.round(w / WIDTH_STEP) * WIDTH_STEP));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return useMemo(() => (width === null ? SERVER_SIZE : { width, height: width / 2 }), [width]);
}

function describeTones(tones: ToneCounts, labels: Record<MapTone, string>): string {
  return TONE_ORDER.filter((t) => tones[t] > 0)
    .map((t) => `${formatInteger(tones[t])} ${labels[t]}`)
    .join(', ');
}

interface DotProps {
  id: string;
  x: number;
  y: number;
  tone: MapTone;
  moving: boolean;
  title: string;
  /** Size of marks relative to a desktop map (smaller on a phone). */
  scale: number;
}

const Dot = memo(function Dot({ id, x, y, tone, moving, title, scale }: DotProps) {
  return (
    <circle
      className={`pb-map__node pb-map__node--${tone}${moving ? ' pb-map__node--moving' : ''}`}
      cx={x}
      cy={y}
      r={Math.round((moving ? 5 : 4.4) * scale * 10) / 10}
      data-id={id}
    >
      <title>{title}</title>
    </circle>
  );
});

const ring = arc<{ startAngle: number; endAngle: number }>();
const slices = pie<[MapTone, number]>()
  .value(([, n]) => n)
  .sort(null);

interface ClusterProps {
  cluster: MapCluster;
  x: number;
  y: number;
  noun: string;
  labels: Record<MapTone, string>;
  scale: number;
}

const Cluster = memo(function Cluster({ cluster, x, y, noun, labels, scale }: ClusterProps) {
  const r = Math.round(clusterRadius(cluster.count) * scale * 10) / 10;
  const parts = slices(TONE_ORDER.filter((t) => cluster.tones[t] > 0).map((t) => [t, cluster.tones[t]]));
  const names = cluster.members.slice(0, NAMES_SHOWN).map((m) => m.label);
  const more = cluster.count - names.length;
  const title = `${formatInteger(cluster.count)} ${noun}: ${describeTones(cluster.tones, labels)}\n${names.join(', ')}${more > 0 ? ` and ${formatInteger(more)} more` : ''}`;
  return (
    <g
      className={`pb-map__cluster pb-map__cluster--${cluster.worst}`}
      transform={`translate(${x} ${y})`}
      data-cluster={cluster.key}
      data-count={cluster.count}
      data-ids={cluster.members.map((m) => m.id).join(' ')}
    >
      <title>{title}</title>
      <circle className="pb-map__cluster-halo" r={r + 4} />
      <circle className="pb-map__cluster-core" r={r} />
      {parts.map((p) => (
        <path
          key={p.data[0]}
          className={`pb-map__cluster-ring pb-map__cluster-ring--${p.data[0]}`}
          d={ring({ startAngle: p.startAngle, endAngle: p.endAngle, innerRadius: r - 3, outerRadius: r, padAngle: parts.length > 1 ? 0.04 : 0 } as never) ?? ''}
        />
      ))}
      <text className="pb-map__cluster-count" dy="0.35em">
        {cluster.count >= 10_000 ? `${Math.round(cluster.count / 1000)}k` : formatInteger(cluster.count)}
      </text>
    </g>
  );
});

/**
 * @example
 * <WorldMap points={points} bounds={bounds} onBoundsChange={setBounds} noun="devices" />
 */
export function WorldMap({
  points,
  bounds,
  onBoundsChange,
  presets = REGION_PRESETS,
  zoomToBounds = true,
  legend,
  toneLabels,
  noun = 'records',
  label = 'Map',
  className,
}: WorldMapProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const [draft, setDraft] = useState<{ a: Point; b: Point } | null>(null);
  const size = useDrawingSize(svgRef);
  const shown = zoomToBounds && bounds && !isWholeWorld(bounds) ? bounds : null;
  const frame = useMemo(
    () => mapFrame(shown, size),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the numbers, so a parent re-creating an equal bounds object keeps the frame
    [shown?.north, shown?.south, shown?.east, shown?.west, size],
  );
  const labels = useMemo(() => ({ ...DEFAULT_TONE_LABELS, ...toneLabels }), [toneLabels]);

  // marks shrink a little on a narrow map, so clusters of neighbouring cities do not overlap
  const scale = Math.max(0.75, Math.min(1, size.width / 800));
  const drawing = useMemo(() => {
    const path = geoPath(frame.projection).digits(1);
    return {
      land: landPath(frame),
      sphere: spherePath(frame),
      graticule: path(graticuleFor(frame)) ?? '',
      zoom: clusterZoom(frame),
    };
  }, [frame]);
  const box = useMemo(
    () => (bounds && !isWholeWorld(bounds) ? (geoPath(frame.projection).digits(1)(boundsPolygon(bounds)) ?? '') : ''),
    [bounds, frame],
  );

  // Rebuilt only when something drawn changed: records change far more often in fields the map does not show.
  const drawn = useMemo(() => points.map((p) => `${p.id}|${p.lat}|${p.lon}|${p.tone}|${p.moving ? 1 : 0}|${p.label}|${p.detail ?? ''}`).join('\n'), [points]);
  const index = useMemo(
    () => clusterIndex(points, { centerLon: frame.centerLon }),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `drawn` is what of `points` the index holds
    [drawn, frame.centerLon],
  );
  const marks = useMemo(() => {
    const placed = [];
    for (const mark of clusterMarks(index, drawing.zoom)) {
      const at = mark.kind === 'point' ? mark.point : mark;
      const xy = frame.projection([at.lon, at.lat]);
      if (!xy) continue;
      const [x, y] = xy;
      if (x < -20 || x > size.width + 20 || y < -20 || y > size.height + 20) continue;
      placed.push({ mark, x: Math.round(x * 10) / 10, y: Math.round(y * 10) / 10 });
    }
    // larger clusters underneath, lone points on top
    return placed.sort((a, b) => (b.mark.kind === 'cluster' ? b.mark.count : 0) - (a.mark.kind === 'cluster' ? a.mark.count : 0));
  }, [index, drawing.zoom, frame, size]);
  const shownCount = markCount(marks.map((m) => m.mark));

  const legendItems = useMemo(() => {
    if (legend) return legend;
    const tones: ToneCounts = { bad: 0, warn: 0, info: 0, ok: 0, muted: 0 };
    for (const p of index.points) tones[p.tone]++;
    return TONE_ORDER.filter((t) => tones[t] > 0).map((t) => ({ tone: t, label: labels[t], count: tones[t] }));
  }, [legend, index, labels]);

  const toPoint = useCallback((e: PointerEvent<SVGSVGElement>): Point => {
    const rect = svgRef.current?.getBoundingClientRect();
    if (!rect || rect.width === 0 || rect.height === 0) return { x: 0, y: 0 };
    return {
      x: ((e.clientX - rect.left) / rect.width) * size.width,
      y: ((e.clientY - rect.top) / rect.height) * size.height,
    };
  }, [size]);

  const zoomToCluster = (key: string) => {
    const hit = marks.find((m) => m.mark.kind === 'cluster' && m.mark.key === key)?.mark;
    if (!hit || hit.kind !== 'cluster' || !onBoundsChange) return;
    const next = pointsBounds(hit.members, hit.lon);
    if (next) onBoundsChange(next);
  };

  const interactive = onBoundsChange !== undefined;
  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (!interactive || e.button !== 0) return;
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const p = toPoint(e);
    setDraft({ a: p, b: p });
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (draft) setDraft({ a: draft.a, b: toPoint(e) });
  };
  const onPointerUp = (e: PointerEvent<SVGSVGElement>) => {
    if (!draft || !onBoundsChange) return;
    const b = toPoint(e);
    setDraft(null);
    if (Math.abs(b.x - draft.a.x) < MIN_DRAG || Math.abs(b.y - draft.a.y) < MIN_DRAG) {
      // a click: on a cluster, zoom to its points (pointer capture retargets the event, so find it by position)
      const under = document.elementFromPoint(e.clientX, e.clientY)?.closest('[data-cluster]');
      const key = under?.getAttribute('data-cluster');
      if (key) zoomToCluster(key);
      return;
    }
    const next = boundsFromRect(draft.a, b, frame);
    if (next) onBoundsChange(next);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape' && draft) setDraft(null);
  };

  const draftRect = draft && {
    x: Math.min(draft.a.x, draft.b.x),
    y: Math.min(draft.a.y, draft.b.y),
    width: Math.abs(draft.b.x - draft.a.x),
    height: Math.abs(draft.b.y - draft.a.y),
  };
  const pressed = (preset: RegionPreset) => sameBounds(preset.bounds, bounds) || (preset.bounds !== null && isWholeWorld(preset.bounds) && bounds === null);

  return (
    <div className={className ? `pb-map ${className}` : 'pb-map'} onKeyDown={onKeyDown}>
      {interactive && (
        <div className="pb-map__toolbar" role="toolbar" aria-label="Map region">
          {presets.map((preset) => (
            <button key={preset.id} type="button" className="pb-button pb-button--chip" aria-pressed={pressed(preset)} onClick={() => onBoundsChange(preset.bounds)}>
              {preset.label}
            </button>
          ))}
          <span className="pb-map__hint">Drag a box or click a cluster to zoom</span>
        </div>
      )}
      <svg
        ref={svgRef}
        className={['pb-map__svg', interactive && 'pb-map__svg--interactive', draft && 'pb-map__svg--drawing'].filter(Boolean).join(' ')}
        viewBox={`0 0 ${size.width} ${size.height}`}
        role="img"
        aria-label={`${label}: ${formatInteger(shownCount)} ${noun}, ${describeBounds(bounds)}`}
        data-shown={shownCount}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => setDraft(null)}
      >
        {drawing.sphere ? <path className="pb-map__sphere" d={drawing.sphere} /> : <rect className="pb-map__sea" width={size.width} height={size.height} />}
        <path className="pb-map__grid" d={drawing.graticule} aria-hidden="true" />
        <path className="pb-map__land" d={drawing.land} aria-hidden="true" />
        {box && <path className="pb-map__bounds" d={box} />}
        {/* re-keyed per frame, so points jump to a new zoom instead of gliding across it */}
        <g className="pb-map__marks" key={frame.key}>
          {marks.map(({ mark, x, y }) =>
            mark.kind === 'cluster' ? (
              <Cluster key={mark.key} cluster={mark} x={x} y={y} noun={noun} labels={labels} scale={scale} />
            ) : (
              <Dot
                key={mark.point.id}
                id={mark.point.id}
                x={x}
                y={y}
                tone={mark.point.tone}
                moving={mark.point.moving === true}
                scale={scale}
                title={[mark.point.label, mark.point.detail, mark.point.moving ? 'moving' : undefined].filter(Boolean).join(' · ')}
              />
            ),
          )}
        </g>
        {draftRect && <rect className="pb-map__draft" {...draftRect} />}
      </svg>
      <div className="pb-map__footer">
        <span className="pb-map__bounds-text">{describeBounds(bounds)}</span>
        <span className="pb-map__legend">
          {legendItems.map((item) => (
            <span key={`${item.tone}:${item.label}`} className={`pb-map__legend-item pb-map__legend-item--${item.tone}`}>
              <span className="pb-map__legend-dot" aria-hidden="true" />
              {item.label} <span className="pb-num">{formatInteger(item.count)}</span>
            </span>
          ))}
        </span>
      </div>
    </div>
  );
}

export default WorldMap;
