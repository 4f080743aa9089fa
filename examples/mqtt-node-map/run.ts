/**
 * The node map example in one command (`npm run example:mqtt`): a local Mosquitto on a free
 * port (unless `MQTT_URL` names a broker), the simulated devices publishing to it, and the
 * server with `PULSE_CONFIG` pointing at this example's configuration. Ctrl-C stops all three.
 *
 *   npm run example:mqtt                                # everything local
 *   MQTT_URL=mqtt://broker:1883 npm run example:mqtt    # an existing broker
 *   DEVICES=500 PORT=3001 npm run example:mqtt
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, listening, stopProcess } from '../../scripts/lib/processes';
import { startDevices, type Devices } from './devices';

const ROOT = join(__dirname, '..', '..');
const CONFIG = join(__dirname, 'pulse.config.json');
const MOSQUITTO = process.env.PULSE_MOSQUITTO ?? 'mosquitto';

/** A throwaway broker on 127.0.0.1: anonymous, no persistence. */
async function startBroker(): Promise<{ url: string; child: ChildProcess; dir: string }> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'node-map-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  // As root, mosquitto would switch to its own user; it needs nothing a user cannot do here.
  const asRoot = process.getuid?.() === 0 ? ['user root'] : [];
  await writeFile(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...asRoot, ''].join('\n'));
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot start ${MOSQUITTO} (${error.message}); install mosquitto or set MQTT_URL`)));
  });
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([listening(port), failed]))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `mqtt://127.0.0.1:${port}`, child, dir };
}

async function main(): Promise<void> {
  const broker = process.env.MQTT_URL ? null : await startBroker();
  const url = process.env.MQTT_URL ?? broker!.url;
  const port = process.env.PORT ?? '3000';
  console.log(broker ? `mosquitto listening on ${url}` : `using the broker at ${url}`);

  const devices: Devices = await startDevices({ url, count: Number(process.env.DEVICES ?? 150) });
  console.log(`devices publishing to nodes/<id>/state`);

  const server = spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, PULSE_CONFIG: CONFIG, MQTT_URL: url, PORT: port },
  });
  console.log(`server starting: open http://localhost:${port}/d/node-map`);

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await stopProcess(server, 'SIGTERM');
    await devices.stop();
    if (broker) {
      await stopProcess(broker.child, 'SIGTERM');
      await rm(broker.dir, { recursive: true, force: true });
    }
    process.exit(code);
  };
  server.once('exit', (code) => void stop(code ?? 1));
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
