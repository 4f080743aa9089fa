/**
 * Pulseboard: the Next.js app and the WebSocket hub in one process.
 *   npm run dev:socket     development, with HMR
 *   npm run start:socket   production (after `npm run build`)
 */
import next from 'next';
import { ConfigError } from './lib/config';
import { createLogger } from './lib/log';
import { ConfigFileError, loadServerConfiguration, type ServerConfiguration } from './lib/server/config-file';
import { watchDashboards } from './lib/server/dashboards-watch';
import { registerDashboards } from './lib/server/hub-registry';
import { startPulseServer } from './lib/server/start';
import { SourcesConfigError } from './lib/sources/declared';
import { startSimulator } from './lib/demo/simulator';
import { startSources } from './lib/sources/start';

/** The environment and the files it names (docs/configuration.md); a mistake ends the process with one line. */
function readConfig(): ServerConfiguration {
  try {
    return loadServerConfiguration();
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SourcesConfigError || error instanceof ConfigFileError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const { config, sources: declared, series, dashboards } = readConfig();
  const log = createLogger(config.logLevel);
  const app = next({ dev: !config.production, hostname: config.host, port: config.port, dir: __dirname });
  await app.prepare();

  const pulse = await startPulseServer({
    config,
    log,
    app: { handle: app.getRequestHandler() },
    series,
  });
  registerDashboards(dashboards);
  // In development an edit to the file's dashboards shows on the next page load (docs/dashboards.md).
  const watcher = config.production ? undefined : watchDashboards({ configPath: config.configPath, simulator: config.simulator, log });
  if (config.jwtSecretGenerated) log.warn('PULSE_JWT_SECRET is not set: using a random secret, tokens last this run only');
  const simulator = config.simulator ? startSimulator(pulse.hub, { rate: config.simulatorRate, intraday: true }) : undefined;
  const sources = declared.length ? startSources(pulse, declared, log) : undefined;

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    simulator?.stop();
    watcher?.close();
    await sources?.stop();
    await pulse.close();
    await app.close?.();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Announced only once the signal handlers are in place: a supervisor may stop us right after.
  log.info({ url: `http://localhost:${pulse.port}`, env: config.env, simulator: config.simulator, configFile: config.configPath, sources: declared.map((s) => s.name), dashboards: dashboards.map((d) => d.slug) }, 'Pulseboard ready');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
