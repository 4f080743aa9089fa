/**
 * The map panel: records read onto the map, its legend, the view's filter following the
 * viewer's region, and the panel rendered on the server from a snapshot.
 */
import { createElement as h, type ReactNode } from 'react';
import { renderToString } from 'react-dom/server';
import { PulseProvider } from '@/components/PulseProvider';
import { MapPanel, mapFilter, mapLegend, recordPoint } from '@/components/panels/MapPanel';
import type { ChannelRecord } from '@/lib/protocol/messages';
import type { InitialSnapshot } from '@/lib/store/types';

const devices: ChannelRecord[] = [
  { id: 'd1', name: 'Dock 1', lat: 52.37, lon: 4.89, status: 'online', battery: 88 },
  { id: 'd2', name: 'Dock 2', lat: 52.371, lon: 4.891, status: 'low-battery', battery: 9 },
  { id: 'd3', name: 'Pier', lat: 52.372, lon: 4.892, status: 'offline' },
  { id: 'd4', name: 'Harbour', lat: -33.86, lon: 151.21, status: 'sleeping' },
  { id: 'd5', name: 'Nowhere', status: 'online' },
  { id: 'd6', lat: 95, lon: 0, status: 'online' },
];
const colors = { 'low-battery': 'warn', sleeping: 'info' } as const;

describe('records on the map', () => {
  it('reads position, label and tone, the panel colours before the status words', () => {
    expect(recordPoint(devices[0], { labelField: 'name', colorBy: 'status', colors })).toEqual({
      id: 'd1',
      lat: 52.37,
      lon: 4.89,
      tone: 'ok',
      label: 'Dock 1',
      detail: 'online',
    });
    expect(recordPoint(devices[1], { colorBy: 'status', colors })).toMatchObject({ tone: 'warn', label: 'd2' });
    expect(recordPoint(devices[2], { colorBy: 'status', colors })?.tone).toBe('bad');
    expect(recordPoint(devices[3], { colorBy: 'status', colors })?.tone).toBe('info');
    expect(recordPoint({ id: 'x', lat: 1, lon: 2, status: 'parked' }, { colorBy: 'status' })?.tone).toBe('muted');
    expect(recordPoint(devices[0], {})?.tone).toBe('info');
  });

  it('takes other position fields and leaves out records without a position on the globe', () => {
    expect(recordPoint({ id: 'y', latitude: 10, longitude: 20 }, { latField: 'latitude', lonField: 'longitude' })).toMatchObject({ lat: 10, lon: 20 });
    expect(recordPoint(devices[4], {})).toBeNull();
    expect(recordPoint(devices[5], {})).toBeNull();
  });

  it('lists the values of colorBy in the legend, worst first', () => {
    const fields = { colorBy: 'status', colors };
    const points = devices.map((r) => recordPoint(r, fields)).filter((p) => p !== null);
    expect(mapLegend(devices, points, 'status')).toEqual([
      { label: 'offline', tone: 'bad', count: 1 },
      { label: 'low-battery', tone: 'warn', count: 1 },
      { label: 'sleeping', tone: 'info', count: 1 },
      { label: 'online', tone: 'ok', count: 1 },
    ]);
    expect(mapLegend(devices, points, undefined)).toEqual([{ label: 'in view', tone: 'info', count: 4 }]);
  });

  it('sums up a long tail of values as other', () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ id: `r${i}`, lat: 0, lon: i, kind: `k${i}` }));
    const points = many.map((r) => recordPoint(r, { colorBy: 'kind' })!);
    const legend = mapLegend(many, points, 'kind');
    expect(legend).toHaveLength(6);
    expect(legend[5]).toEqual({ label: 'other', tone: 'muted', count: 4 });
  });
});

describe("the view's filter follows the region", () => {
  const box = { north: 60, south: 40, west: -10, east: 20 };

  it('puts the region in the bounds, keeping the rest of the filter', () => {
    expect(mapFilter({ where: { status: 'online' } }, box)).toEqual({ where: { status: 'online' }, bounds: box });
    expect(mapFilter({ bounds: { north: 1, south: 0, west: 0, east: 1 }, fields: ['lat', 'lon'] }, box)).toEqual({ bounds: box, fields: ['lat', 'lon'] });
  });

  it('has no bounds for the whole world, and no filter when nothing is left', () => {
    expect(mapFilter({ bounds: box }, null)).toBeUndefined();
    expect(mapFilter(undefined, { north: 90, south: -90, west: -180, east: 180 })).toBeUndefined();
    expect(mapFilter({ where: { a: 1 } }, null)).toEqual({ where: { a: 1 } });
  });
});

describe('MapPanel on the server', () => {
  const render = (node: ReactNode) => renderToString(h(PulseProvider, { autoConnect: false, children: node }));
  const snapshot: InitialSnapshot = { channel: 'nodes', epoch: 'e1', seq: 7, records: devices, at: Date.now() };

  it('draws the records of its snapshot, clustered, with the legend and the region toolbar', () => {
    const html = render(<MapPanel title="Devices" channel="nodes" labelField="name" colorBy="status" colors={colors} width={8} initial={snapshot} />);
    expect(html).toContain('Devices');
    expect(html).toContain('4 on the map');
    expect(html).toContain('2 without a position');
    expect(html).toContain('data-shown="4"');
    // the three docks overlap on a world map
    expect(html).toContain('data-ids="d1 d2 d3"');
    expect(html).toContain('pb-map__cluster--bad');
    expect(html).toContain('role="toolbar"');
    expect(html).toContain('class="pb-map__land"');
    expect(html).toContain('--pb-panel-span:8');
  });

  it('zooms to the declared bounds and offers no region picking when it does not follow', () => {
    const html = render(
      <MapPanel title="Amsterdam" channel="nodes" filter={{ bounds: { north: 52.5, south: 52.2, west: 4.7, east: 5.1 } }} followBounds={false} initial={{ ...snapshot, records: devices.slice(0, 3) }} />,
    );
    expect(html).not.toContain('role="toolbar"');
    expect(html).toContain('class="pb-map__bounds"');
    expect(html).toContain('data-shown="3"');
  });
});
