/**
 * The layers of docs/architecture.md, checked on the source: every import between folders of
 * `lib/` must point the way the picture there points, so a wrong-way import fails the tests
 * instead of waiting for a reviewer.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/** What each folder of `lib/` may import from the others (itself always). */
const ALLOWED: Record<string, string[]> = {
  protocol: [],
  engine: ['protocol'],
  cluster: ['protocol'],
  presence: ['protocol'],
  client: ['protocol'],
  store: ['protocol', 'client'],
  demo: ['protocol', 'dashboards'],
  dashboards: ['protocol'],
  sources: ['protocol', 'log'],
  hub: ['protocol', 'engine', 'cluster', 'presence', 'config', 'log'],
  redis: ['protocol', 'engine', 'cluster', 'presence', 'config', 'log'],
  http: ['protocol', 'hub', 'sources', 'config', 'log'],
  server: ['*'],
};

/** Browser code: pages' client parts, components and hooks never reach server internals. */
const BROWSER_ALLOWED = ['protocol', 'client', 'store', 'demo', 'dashboards'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

/** `lib/<folder>` (or `lib/<file>` without its extension) an import lands in, if any. */
function libTarget(file: string, specifier: string): string | undefined {
  let target: string;
  if (specifier.startsWith('@/')) target = join(ROOT, specifier.slice(2));
  else if (specifier.startsWith('.')) target = resolve(dirname(file), specifier);
  else return undefined;
  const parts = relative(ROOT, target).split(sep);
  if (parts[0] !== 'lib') return undefined;
  return parts[1]?.replace(/\.tsx?$/, '');
}

function folderOf(file: string): string {
  return relative(join(ROOT, 'lib'), file).split(sep)[0].replace(/\.tsx?$/, '');
}

describe('layers', () => {
  const libFiles = sourceFiles(join(ROOT, 'lib'));

  it('finds the folders the rules name', () => {
    const folders = new Set(libFiles.map(folderOf));
    for (const folder of Object.keys(ALLOWED)) expect(folders).toContain(folder);
  });

  it.each(Object.keys(ALLOWED))('lib/%s imports only what its layer may', (folder) => {
    const allowed = ALLOWED[folder];
    const wrong: string[] = [];
    for (const file of libFiles.filter((f) => folderOf(f) === folder)) {
      for (const specifier of importsOf(file)) {
        const target = libTarget(file, specifier);
        if (!target || target === folder || allowed.includes('*') || allowed.includes(target)) continue;
        wrong.push(`${relative(ROOT, file)} imports ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('only lib/redis imports ioredis, and only the composition root imports lib/redis', () => {
    const wrong: string[] = [];
    for (const file of libFiles) {
      const folder = folderOf(file);
      for (const specifier of importsOf(file)) {
        if (specifier === 'ioredis' && folder !== 'redis') wrong.push(`${relative(ROOT, file)} imports ioredis`);
        const target = libTarget(file, specifier);
        if (target === 'redis' && folder !== 'redis' && relative(ROOT, file) !== join('lib', 'server', 'backend.ts')) {
          wrong.push(`${relative(ROOT, file)} imports ${specifier}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('components and hooks import only browser-safe layers', () => {
    const wrong: string[] = [];
    for (const file of [...sourceFiles(join(ROOT, 'components')), ...sourceFiles(join(ROOT, 'hooks'))]) {
      for (const specifier of importsOf(file)) {
        const target = libTarget(file, specifier);
        if (target && !BROWSER_ALLOWED.includes(target)) wrong.push(`${relative(ROOT, file)} imports ${specifier}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('reads imports the way the rules assume', () => {
    const file = join(ROOT, 'lib', 'hub', 'x.ts');
    expect(libTarget(file, '../protocol')).toBe('protocol');
    expect(libTarget(file, './broadcaster')).toBe('hub');
    expect(libTarget(file, '../config')).toBe('config');
    expect(libTarget(file, '@/lib/redis/engine')).toBe('redis');
    expect(libTarget(file, 'ws')).toBeUndefined();
  });
});
