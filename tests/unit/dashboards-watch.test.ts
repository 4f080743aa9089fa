/**
 * Reloading the dashboards in development (docs/dashboards.md, "Reloading"): a change to the
 * configuration file reaches the registry the pages read, without a restart; a file that no
 * longer validates is reported in one line and the last good dashboards stay; a change to
 * sources or channels is reported as needing a restart. A real file in a temporary directory,
 * watched by the real `fs.watch`.
 */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DashboardSpec } from '@/lib/dashboards/types';
import { watchDashboards, type DashboardsWatch } from '@/lib/server/dashboards-watch';
import { findDashboards, registerDashboards } from '@/lib/server/hub-registry';

const dashboard = (slug: string, title = 'Operations'): DashboardSpec => ({
  slug,
  title,
  tenant: 'acme',
  panels: [{ kind: 'stat', title: 'Waiting', channel: 'backlog', field: 'waiting' }],
});

interface Line {
  level: 'info' | 'warn' | 'error';
  fields: unknown;
  message: string;
}

function capture() {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (fields: unknown, message?: string) => {
    lines.push({ level, fields, message: message ?? '' });
  };
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') } as never };
}

/** Resolves once `check` holds, polling; fails the test after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the reload');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let watcher: DashboardsWatch | undefined;
afterEach(() => {
  watcher?.close();
  watcher = undefined;
  registerDashboards([]);
});

function setup(contents: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-watch-'));
  const path = join(dir, 'pulse.config.json');
  const write = (value: unknown) => writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  write(contents);
  return { dir, path, write };
}

describe('watching the configuration file', () => {
  it('puts the changed dashboards in the registry the pages read', async () => {
    const { path, write } = setup({ dashboards: [dashboard('ops')] });
    const { lines, log } = capture();
    registerDashboards([dashboard('ops')]);
    watcher = watchDashboards({ configPath: path, simulator: false, log, debounceMs: 20 });
    expect(watcher?.path).toBe(path);

    write({ dashboards: [dashboard('ops', 'Operations, renamed'), dashboard('fleet')] });
    await until(() => findDashboards().length === 2);
    expect(findDashboards().map((d) => [d.slug, d.title])).toEqual([
      ['ops', 'Operations, renamed'],
      ['fleet', 'Operations'],
    ]);
    expect(lines.filter((line) => line.level === 'info').map((line) => line.message)).toContain('dashboards reloaded');
  });

  it('keeps the last good dashboards when the file stops validating, and says why in one line', async () => {
    const { path, write } = setup({ dashboards: [dashboard('ops')] });
    const { lines, log } = capture();
    const reloads: DashboardSpec[][] = [];
    watcher = watchDashboards({ configPath: path, simulator: false, log, debounceMs: 20, onReload: (d) => reloads.push(d) });

    write({ dashboards: [{ ...dashboard('ops'), panels: [{ kind: 'stat', title: 'Waiting', channel: 'backlog', field: 'waiting', width: 13 }] }] });
    await until(() => lines.some((line) => line.level === 'error'));
    const [error] = lines.filter((line) => line.level === 'error');
    expect(error.message).toBe(`${path}: dashboards[0] (ops): panels[0] (Waiting): width: must be at most 12 (the last good dashboards stay)`);
    expect(reloads).toEqual([]);

    write('{ "dashboards": [');
    await until(() => lines.filter((line) => line.level === 'error').length >= 2);
    expect(lines.filter((line) => line.level === 'error')[1].message).toMatch(/^PULSE_CONFIG: .* is not valid JSON/);

    write({ dashboards: [dashboard('fixed')] });
    await until(() => reloads.length > 0);
    expect(reloads.at(-1)?.map((d) => d.slug)).toEqual(['fixed']);
  });

  it('follows an editor that saves by renaming a new file over the old one', async () => {
    const { dir, path } = setup({ dashboards: [dashboard('ops')] });
    const { log } = capture();
    const reloads: DashboardSpec[][] = [];
    watcher = watchDashboards({ configPath: path, simulator: false, log, debounceMs: 20, onReload: (d) => reloads.push(d) });
    for (const slug of ['first', 'second']) {
      const temp = join(dir, `.pulse.config.json.${slug}`);
      writeFileSync(temp, JSON.stringify({ dashboards: [dashboard(slug)] }));
      renameSync(temp, path);
      await until(() => reloads.at(-1)?.[0]?.slug === slug);
    }
  });

  it('applies only dashboards: a change to sources or channels asks for a restart', async () => {
    const channels = [{ channel: 'backlog', series: { fields: ['waiting'] } }];
    const { path, write } = setup({ channels, dashboards: [dashboard('ops')] });
    const { lines, log } = capture();
    const reloads: DashboardSpec[][] = [];
    watcher = watchDashboards({ configPath: path, simulator: false, log, debounceMs: 20, onReload: (d) => reloads.push(d) });

    write({ channels, dashboards: [dashboard('ops', 'Renamed')] });
    await until(() => reloads.length === 1);
    expect(lines.some((line) => line.level === 'warn')).toBe(false);

    write({ channels: [{ channel: 'backlog', series: { fields: ['waiting', 'handled'] } }], dashboards: [dashboard('ops')] });
    await until(() => lines.some((line) => line.level === 'warn'));
    expect(lines.find((line) => line.level === 'warn')?.message).toMatch(/restart the server/);
    expect(reloads).toHaveLength(2);
  });

  it('debounces a burst of writes into one reload', async () => {
    const { path, write } = setup({ dashboards: [dashboard('ops')] });
    const { log } = capture();
    const reloads: DashboardSpec[][] = [];
    watcher = watchDashboards({ configPath: path, simulator: false, log, debounceMs: 150, onReload: (d) => reloads.push(d) });
    for (let i = 0; i < 5; i++) write({ dashboards: [dashboard(`v${i}`)] });
    await until(() => reloads.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(reloads.map((d) => d[0].slug)).toEqual(['v4']);
  });

  it('watches nothing without a file or the simulator', () => {
    const { log } = capture();
    expect(watchDashboards({ simulator: false, log })).toBeUndefined();
  });
});
