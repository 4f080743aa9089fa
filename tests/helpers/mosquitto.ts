/** A real Mosquitto broker (Debian's `mosquitto`) on a free port with a temp directory, for the MQTT bridge tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, listening, stopProcess } from '@/scripts/lib/processes';

export const MOSQUITTO = process.env.PULSE_MOSQUITTO ?? '/usr/sbin/mosquitto';

export interface LocalMosquitto {
  url: string;
  port: number;
  /** Stops the broker (SIGKILL) and starts it again on the same port; it keeps sessions on disk. */
  restart(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMosquitto(): Promise<LocalMosquitto> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'pulse-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  // As root, mosquitto would switch to its own user, which cannot write sessions into our temp dir.
  const asRoot = process.getuid?.() === 0 ? ['user root'] : [];
  const lines = [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'autosave_interval 1', ...asRoot, ''];
  await writeFile(conf, lines.join('\n'));
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (!(await listening(port))) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mosquitto did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    await stopProcess(running, 'SIGTERM');
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    kill,
    async restart() {
      await kill();
      await launch();
    },
    async stop() {
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
