/**
 * In development, the configuration file's `dashboards` section is read again when the file
 * changes (docs/dashboards.md, "Reloading"): the pages serve the new dashboards on their next
 * request, without a restart. A file that no longer validates is reported with its one line and
 * the last good dashboards stay.
 *
 * Only dashboards: `sources` and `channels` are read once, at start-up. Sources are running
 * connections (an MQTT session, a Postgres LISTEN, a poller's timer) and channels decide which
 * series the engine is keeping; swapping either under a running server would drop what they
 * hold, so a change to them is reported as needing a restart.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { DashboardSpec } from '../dashboards/types';
import type { Logger } from '../log';
import { ConfigFileError, DEMO_CONFIG_PATH, loadConfigFile, resolveDashboards, type ConfigFileContents } from './config-file';
import { registerDashboards } from './hub-registry';

export interface WatchDashboardsOptions {
  /** `PULSE_CONFIG`, when set; else the demo's file is watched while the simulator runs. */
  configPath?: string;
  simulator: boolean;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  env?: Record<string, string | undefined>;
  /** Quiet time after the last change before the file is read: editors write in several steps. Default 200 ms. */
  debounceMs?: number;
  /** Where reloaded dashboards go. Default: the process's registry (`registerDashboards`). */
  onReload?: (dashboards: DashboardSpec[]) => void;
}

export interface DashboardsWatch {
  /** The file watched. */
  path: string;
  close(): void;
}

const DEFAULT_DEBOUNCE_MS = 200;

/**
 * Watches the file the dashboards come from; undefined when there is none (no `PULSE_CONFIG`
 * and no simulator).
 *
 * @example
 * const watcher = config.production ? undefined : watchDashboards({ configPath: config.configPath, simulator: config.simulator, log });
 * // on shutdown
 * watcher?.close();
 */
export function watchDashboards(options: WatchDashboardsOptions): DashboardsWatch | undefined {
  const { configPath, simulator, log, env = process.env, debounceMs = DEFAULT_DEBOUNCE_MS, onReload = registerDashboards } = options;
  const path = configPath ?? (simulator ? DEMO_CONFIG_PATH : undefined);
  if (!path) return undefined;

  const read = () => {
    const file = configPath ? loadConfigFile(configPath, env) : undefined;
    return { file, dashboards: resolveDashboards(configPath && file ? { path: configPath, file } : undefined, simulator, env).dashboards };
  };
  // What the server started with, to tell when a reload changed more than dashboards.
  let startedWith: string | undefined;
  try {
    startedWith = restartOnly(read().file);
  } catch {
    // The server validated this file moments ago; if it changed since, the first reload says so.
  }

  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    timer = undefined;
    try {
      const { file, dashboards } = read();
      onReload(dashboards);
      log.info({ file: path, dashboards: dashboards.map(({ slug }) => slug) }, 'dashboards reloaded');
      const now = restartOnly(file);
      if (startedWith !== undefined && now !== startedWith) log.warn({ file: path }, 'sources and channels are read at start-up only: restart the server to apply their change');
    } catch (error) {
      if (!(error instanceof ConfigFileError)) throw error;
      log.error({ file: path }, `${error.message} (the last good dashboards stay)`);
    }
  };

  // The directory, not the file: an editor that saves by writing a new file and renaming it
  // over the old one would leave a watch on the file itself looking at a deleted inode.
  const name = basename(path);
  let watcher: FSWatcher;
  try {
    watcher = watch(dirname(path), (_event, changed) => {
      if (changed !== null && changed !== name) return;
      clearTimeout(timer);
      timer = setTimeout(reload, debounceMs);
    });
  } catch (error) {
    log.warn({ file: path, err: error }, 'cannot watch the configuration file: dashboards reload on restart only');
    return undefined;
  }
  watcher.on('error', (error) => log.warn({ file: path, err: error }, 'watching the configuration file failed: dashboards reload on restart only'));
  return {
    path,
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

/** The sections a reload cannot apply, as one comparable string. */
function restartOnly(file: ConfigFileContents | undefined): string {
  return JSON.stringify({ sources: file?.sources ?? [], channels: file?.channels ?? [] });
}
