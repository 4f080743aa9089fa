/**
 * A hub without Next.js in its own process, for tests and the soak run that need a real
 * process boundary (signals, exit codes, server memory).
 *
 *   node --import tsx tests/helpers/hub-process.ts
 *
 * Configuration comes from the environment like `server.ts` (PORT defaults to 0 here). Once
 * listening it prints one JSON line `{"port":N,"pid":P}` on stdout; logs go to stderr. On
 * SIGTERM or SIGINT it shuts down gracefully and exits 0.
 */
import pino from 'pino';
import { ConfigError, loadConfig } from '../../lib/config';
import { createLogger } from '../../lib/log';
import { startPulseServer } from '../../lib/server/start';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ...process.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger(config.logLevel, pino.destination({ fd: 2, sync: true }));
  const pulse = await startPulseServer({ config, log });

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await pulse.close();
    log.info('stopped');
    process.exit(0);
  };
  // Handlers first, then the port: a parent may signal the moment it reads the line.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ port: pulse.port, pid: process.pid })}\n`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
