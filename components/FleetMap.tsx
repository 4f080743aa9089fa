'use client';

/**
 * A self-contained world map of the fleet: equirectangular SVG (no tiles, no network), a
 * graticule and coarse coastlines, nodes as dots coloured by status, and the current bounds
 * box. The user picks a region preset or drags a box; the map reports the new bounds through
 * `onBoundsChange` and, by default, zooms to them.
 */
import { memo, useCallback, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import {
  boundsFromRect,
  boundsToRects,
  describeBounds,
  formatLat,
  formatLon,
  graticuleStep,
  gridValues,
  normalizeLon,
  project,
  REGION_PRESETS,
  ringsPath,
  sameBounds,
  viewForBounds,
  type Bounds,
  type MapView,
  type Point,
  type RegionPreset,
  type Size,
} from './geo';
import { LAND } from './world';

export interface FleetMapNode {
  id: string;
  lat: number;
  lon: number;
  /** `online`, `degraded` or `offline`; anything else is drawn as unknown. */
  status: string;
  moving?: boolean;
  name?: string;
}

export interface FleetMapProps {
  nodes: readonly FleetMapNode[];
  /** The bounds filter in force, or `null` for the whole world. */
  bounds: Bounds | null;
  onBoundsChange(bounds: Bounds | null): void;
  /** Region buttons (default: World, Americas, Europe, Asia-Pacific, Antimeridian). */
  presets?: readonly RegionPreset[];
  /** Frame the view on the bounds (default true); otherwise always show the whole world. */
  zoomToBounds?: boolean;
  /** Accessible name of the map. */
  label?: string;
  className?: string;
}

const SIZE: Size = { width: 960, height: 480 };
/** A drag shorter than this (in drawing units) is a click, not a box. */
const MIN_DRAG = 6;
const STATUSES = ['online', 'degraded', 'offline'] as const;

function statusClass(status: string): string {
  return (STATUSES as readonly string[]).includes(status) ? status : 'unknown';
}

interface DotProps {
  x: number;
  y: number;
  status: string;
  moving: boolean;
  name: string;
}

const NodeDot = memo(function NodeDot({ x, y, status, moving, name }: DotProps) {
  return (
    <circle
      className={`pb-map__node pb-map__node--${statusClass(status)}${moving ? ' pb-map__node--moving' : ''}`}
      cx={x}
      cy={y}
      r={moving ? 3.4 : 2.8}
    >
      <title>{`${name} · ${status}${moving ? ' · moving' : ''}`}</title>
    </circle>
  );
});

function Graticule({ view }: { view: MapView }) {
  const latSpan = view.north - view.south;
  const step = graticuleStep(Math.max(view.span, latSpan * 2));
  const decimals = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
  const lons = gridValues(view.west, view.west + view.span, step);
  const lats = gridValues(view.south, view.north, step);
  const sx = SIZE.width / view.span;
  const sy = SIZE.height / latSpan;
  return (
    <g className="pb-map__grid" aria-hidden="true">
      {lons.map((lon) => {
        const x = (lon - view.west) * sx;
        const wrapped = normalizeLon(lon);
        return (
          <g key={`lon${lon}`}>
            <line className={wrapped === -180 ? 'pb-map__line pb-map__line--dateline' : 'pb-map__line'} x1={x} x2={x} y1={0} y2={SIZE.height} />
            <text className="pb-map__label" x={x + 3} y={12}>
              {formatLon(wrapped === -180 ? 180 : wrapped, decimals)}
            </text>
          </g>
        );
      })}
      {lats.map((lat) => {
        const y = (view.north - lat) * sy;
        return (
          <g key={`lat${lat}`}>
            <line className={lat === 0 ? 'pb-map__line pb-map__line--equator' : 'pb-map__line'} x1={0} x2={SIZE.width} y1={y} y2={y} />
            <text className="pb-map__label" x={3} y={y - 3}>
              {formatLat(lat, decimals)}
            </text>
          </g>
        );
      })}
    </g>
  );
}

function Land({ view }: { view: MapView }) {
  const paths = useMemo(() => [-360, 0, 360].map((shift) => ringsPath(LAND, view, SIZE, shift)).filter(Boolean), [view]);
  return (
    <g className="pb-map__land" aria-hidden="true">
      {paths.map((d, i) => (
        <path key={i} d={d} />
      ))}
    </g>
  );
}

export function FleetMap({
  nodes,
  bounds,
  onBoundsChange,
  presets = REGION_PRESETS,
  zoomToBounds = true,
  label = 'Fleet map',
  className,
}: FleetMapProps) {
  const svgRef = useRef<SVGSVGElement>(null);
  const [draft, setDraft] = useState<{ a: Point; b: Point } | null>(null);
  const view = useMemo(
    () => viewForBounds(zoomToBounds ? bounds : null, SIZE.width / SIZE.height),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed on the numbers, so a parent re-creating an equal bounds object keeps the view (and the land paths)
    [zoomToBounds, bounds?.north, bounds?.south, bounds?.east, bounds?.west],
  );

  const dots = useMemo(
    () =>
      nodes
        .filter((n) => Number.isFinite(n.lat) && Number.isFinite(n.lon))
        .map((n) => ({ node: n, ...project(n, view, SIZE) }))
        .filter((d) => d.x >= -4 && d.x <= SIZE.width + 4 && d.y >= -4 && d.y <= SIZE.height + 4),
    [nodes, view],
  );

  const counts = useMemo(() => {
    const c: Record<string, number> = { online: 0, degraded: 0, offline: 0, unknown: 0 };
    for (const n of nodes) c[statusClass(n.status)]++;
    return c;
  }, [nodes]);

  const toPoint = useCallback((e: PointerEvent<SVGSVGElement>): Point => {
    const rect = svgRef.current?.getBoundingClientRect();
    if (!rect || rect.width === 0 || rect.height === 0) return { x: 0, y: 0 };
    return {
      x: ((e.clientX - rect.left) / rect.width) * SIZE.width,
      y: ((e.clientY - rect.top) / rect.height) * SIZE.height,
    };
  }, []);

  const onPointerDown = (e: PointerEvent<SVGSVGElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture?.(e.pointerId);
    const p = toPoint(e);
    setDraft({ a: p, b: p });
  };
  const onPointerMove = (e: PointerEvent<SVGSVGElement>) => {
    if (draft) setDraft({ a: draft.a, b: toPoint(e) });
  };
  const onPointerUp = (e: PointerEvent<SVGSVGElement>) => {
    if (!draft) return;
    const b = toPoint(e);
    setDraft(null);
    if (Math.abs(b.x - draft.a.x) < MIN_DRAG || Math.abs(b.y - draft.a.y) < MIN_DRAG) return;
    const next = boundsFromRect(draft.a, b, view, SIZE);
    if (next) onBoundsChange(next);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape' && draft) setDraft(null);
  };

  const boxes = bounds ? boundsToRects(bounds, view, SIZE) : [];
  const draftRect = draft && {
    x: Math.min(draft.a.x, draft.b.x),
    y: Math.min(draft.a.y, draft.b.y),
    width: Math.abs(draft.b.x - draft.a.x),
    height: Math.abs(draft.b.y - draft.a.y),
  };

  return (
    <div className={className ? `pb-map ${className}` : 'pb-map'} onKeyDown={onKeyDown}>
      <div className="pb-map__toolbar" role="toolbar" aria-label="Map region">
        {presets.map((preset) => (
          <button
            key={preset.id}
            type="button"
            className="pb-button pb-button--chip"
            aria-pressed={sameBounds(preset.bounds, bounds)}
            onClick={() => onBoundsChange(preset.bounds)}
          >
            {preset.label}
          </button>
        ))}
        <span className="pb-map__hint">Drag on the map to draw a box</span>
      </div>
      <svg
        ref={svgRef}
        className={draft ? 'pb-map__svg pb-map__svg--drawing' : 'pb-map__svg'}
        viewBox={`0 0 ${SIZE.width} ${SIZE.height}`}
        role="img"
        aria-label={`${label}: ${nodes.length} nodes, ${describeBounds(bounds)}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={() => setDraft(null)}
      >
        <rect className="pb-map__sea" x={0} y={0} width={SIZE.width} height={SIZE.height} />
        <Land view={view} />
        <Graticule view={view} />
        {boxes.map((r, i) => (
          <rect key={i} className="pb-map__bounds" x={r.x} y={r.y} width={r.width} height={r.height} />
        ))}
        {/* re-keyed per view, so dots jump to a new zoom instead of gliding across it */}
        <g className="pb-map__nodes" key={`${view.west}:${view.span}:${view.north}:${view.south}`}>
          {dots.map(({ node, x, y }) => (
            <NodeDot
              key={node.id}
              x={Math.round(x * 10) / 10}
              y={Math.round(y * 10) / 10}
              status={node.status}
              moving={node.moving === true}
              name={node.name ?? node.id}
            />
          ))}
        </g>
        {draftRect && <rect className="pb-map__draft" {...draftRect} />}
      </svg>
      <div className="pb-map__footer">
        <span className="pb-map__bounds-text">{describeBounds(bounds)}</span>
        <span className="pb-map__legend">
          {STATUSES.map((s) => (
            <span key={s} className={`pb-map__legend-item pb-map__legend-item--${s}`}>
              <span className="pb-map__legend-dot" aria-hidden="true" />
              {s} <span className="pb-num">{counts[s]}</span>
            </span>
          ))}
        </span>
      </div>
    </div>
  );
}

export default FleetMap;
