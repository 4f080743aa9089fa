/**
 * Summarizes a V8 `.cpuprofile` (written by the server under `--profile`): where the
 * server's CPU time went, by function, self and inclusive, with file:line.
 *
 * Usage on its own: `npx tsx scripts/bench/profile.ts bench-results/profiles/<file>.cpuprofile`
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
}

export interface ProfileEntry {
  name: string;
  where: string;
  selfMs: number;
  selfPercent: number;
  totalMs: number;
  totalPercent: number;
}

export interface ProfileSummary {
  sampledMs: number;
  /** Share of samples outside JavaScript: idle, garbage collection, the program itself. */
  buckets: Record<string, number>;
  bySelf: ProfileEntry[];
  byTotal: ProfileEntry[];
  /**
   * Shares of the server's busy time (samples not idle): deciding visibility (self time in
   * the compiled filters, `lib/hub/filter.ts`), and building per-view deltas as a whole
   * (`windowDelta` inclusive: visibility, projection and merge patches).
   */
  views: { visibilityPercent: number; windowDeltaPercent: number };
}

const FILTER_FILE = 'lib/hub/filter.ts';
const WINDOW_DELTA = 'windowDelta\tlib/hub/views.ts';

function location(node: ProfileNode): string {
  const { url, lineNumber } = node.callFrame;
  if (!url) return '(native)';
  if (!url.startsWith('file://')) return `${url}:${lineNumber + 1}`;
  // Line numbers of TypeScript files point into the transpiled output, so only the file is named.
  const path = relative(process.cwd(), new URL(url).pathname);
  return path.endsWith('.ts') ? path : `${path}:${lineNumber + 1}`;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const totalHits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0) || 1;
  const msPerHit = (profile.endTime - profile.startTime) / 1000 / totalHits;
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\t${location(n)}`;

  const self = new Map<string, number>();
  for (const node of profile.nodes) self.set(keyOf(node), (self.get(keyOf(node)) ?? 0) + (node.hitCount ?? 0));

  // Inclusive hits: each sample counts once per distinct function on its stack.
  const total = new Map<string, number>();
  const inclusive = new Map<number, number>();
  const subtree = (id: number): number => {
    const node = byId.get(id)!;
    let hits = node.hitCount ?? 0;
    for (const child of node.children ?? []) hits += subtree(child);
    inclusive.set(id, hits);
    return hits;
  };
  const root = profile.nodes[0];
  subtree(root.id);
  const walk = (id: number, onStack: Set<string>) => {
    const node = byId.get(id)!;
    const key = keyOf(node);
    const fresh = !onStack.has(key);
    if (fresh) {
      total.set(key, (total.get(key) ?? 0) + inclusive.get(id)!);
      onStack.add(key);
    }
    for (const child of node.children ?? []) walk(child, onStack);
    if (fresh) onStack.delete(key);
  };
  walk(root.id, new Set());

  const entry = (key: string): ProfileEntry => {
    const [name, where] = key.split('\t');
    const s = self.get(key) ?? 0;
    const t = total.get(key) ?? 0;
    return { name, where, selfMs: s * msPerHit, selfPercent: (100 * s) / totalHits, totalMs: t * msPerHit, totalPercent: (100 * t) / totalHits };
  };
  const special = ['(idle)', '(garbage collector)', '(program)'];
  const buckets: Record<string, number> = {};
  for (const name of special) buckets[name] = entry(`${name}\t(native)`).selfPercent;
  const isSpecial = (key: string) => special.some((s) => key.startsWith(`${s}\t`)) || key.startsWith('(root)\t');
  const bySelf = [...self.keys()].filter((k) => !isSpecial(k)).map(entry).sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  const byTotal = [...total.keys()].filter((k) => !isSpecial(k) && !k.startsWith('(anonymous)\t(native)')).map(entry).sort((a, b) => b.totalMs - a.totalMs).slice(0, top);
  const busyHits = totalHits - (self.get('(idle)\t(native)') ?? 0) || 1;
  let filterHits = 0;
  for (const [key, hits] of self) if (key.endsWith(`\t${FILTER_FILE}`)) filterHits += hits;
  const views = { visibilityPercent: (100 * filterHits) / busyHits, windowDeltaPercent: (100 * (total.get(WINDOW_DELTA) ?? 0)) / busyHits };
  return { sampledMs: totalHits * msPerHit, buckets, bySelf, byTotal, views };
}

export function profileLines(summary: ProfileSummary): string[] {
  const row = (e: ProfileEntry, value: number) => `    ${value.toFixed(1).padStart(5)}%  ${e.name.slice(0, 40).padEnd(40)} ${e.where}`;
  const buckets = Object.entries(summary.buckets).map(([k, v]) => `${k} ${v.toFixed(1)}%`).join(', ');
  return [
    `  sampled ${(summary.sampledMs / 1000).toFixed(1)} s; ${buckets}`,
    `  of the busy time: deciding visibility (${FILTER_FILE}, self) ${summary.views.visibilityPercent.toFixed(1)}%, building view deltas (windowDelta, inclusive) ${summary.views.windowDeltaPercent.toFixed(1)}%`,
    '  self time:',
    ...summary.bySelf.map((e) => row(e, e.selfPercent)),
    '  inclusive time:',
    ...summary.byTotal.map((e) => row(e, e.totalPercent)),
  ];
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: tsx scripts/bench/profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  console.log(profileLines(summarizeProfile(file, Number(process.argv[3] ?? 25))).join('\n'));
}
