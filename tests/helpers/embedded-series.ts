/**
 * The series a server-rendered page embeds in its RSC payload (lib/store/series-runs.ts), read
 * back from the HTML (its `self.__next_f` scripts) or from the payload a client navigation
 * reads (`rsc: 1`). Tests use it to check what a page carries, not only what it draws.
 */
import type { PackedSeries } from '@/lib/store/series-runs';

/** The RSC payload of a page: the text of its flight scripts, or `body` itself when it is one. */
export function flightOf(body: string): string {
  if (!body.trimStart().startsWith('<')) return body;
  let flight = '';
  for (const match of body.matchAll(/<script>self\.__next_f\.push\((\[[\s\S]*?\])\)<\/script>/g)) {
    const [kind, text] = JSON.parse(match[1]!) as [number, string?];
    if (kind === 1 && typeof text === 'string') flight += text;
  }
  return flight;
}

/** Every series object in the payload: packed ones (with `runs`) and any plain one (with `records`). */
export function embeddedSeries(body: string): { packed: PackedSeries[]; plain: unknown[] } {
  const packed: PackedSeries[] = [];
  const plain: unknown[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const object = node as Record<string, unknown>;
    if (typeof object.resolutionMs === 'number' && Array.isArray(object.fields)) {
      if ('runs' in object) packed.push(object as unknown as PackedSeries);
      else if ('records' in object) plain.push(object);
      return;
    }
    Object.values(object).forEach(visit);
  };
  for (const row of flightOf(body).split('\n')) {
    const json = row.slice(row.indexOf(':') + 1);
    if (!json.startsWith('[') && !json.startsWith('{')) continue;
    try {
      visit(JSON.parse(json));
    } catch {
      // a row that is not JSON (a module reference, text): no series in it
    }
  }
  return { packed, plain };
}

/** How many entries a packed series embeds, over all its lines (plain and run-length encoded). */
export function embeddedEntries(series: PackedSeries): number {
  let entries = 0;
  for (const lines of [series.plain, series.runs]) for (const id of Object.keys(lines)) for (const line of Object.values(lines[id]!)) entries += line.length;
  return entries;
}
