/**
 * A real PostgreSQL (Debian's `postgresql`) in a temp cluster made with `initdb`, on a free
 * port, removed afterwards. As root (CI) it runs as the `postgres` system user the package
 * creates, since PostgreSQL refuses to run as root.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, stopProcess } from '@/scripts/lib/processes';

export interface LocalPostgres {
  url: string;
  stop(): Promise<void>;
}

function binDir(): string {
  if (process.env.PULSE_PG_BIN) return process.env.PULSE_PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error('PostgreSQL not found under /usr/lib/postgresql (apt-get install postgresql), or set PULSE_PG_BIN');
  return join(root, versions[0], 'bin');
}

export async function startPostgres(): Promise<LocalPostgres> {
  const bin = binDir();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'pulse-pg-'));
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : userInfo().username;
  let owner = {};
  if (asRoot) {
    const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
    owner = { uid: id('-u'), gid: id('-g') };
    chownSync(dir, id('-u'), id('-g'));
  }
  const init = spawnSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'pulse', '--auth=trust', '--no-sync', '-E', 'UTF8'], { encoding: 'utf8', cwd: dir, ...owner });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const args = ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
  const child: ChildProcess = spawn(join(bin, 'postgres'), args, { stdio: 'ignore', cwd: dir, ...owner });
  const url = `postgres://pulse@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.end();
      break;
    } catch {
      await client.end().catch(() => undefined);
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`postgres did not start on port ${port} (as ${user})`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return {
    url,
    async stop() {
      await stopProcess(child, 'SIGINT'); // fast shutdown
      await rm(dir, { recursive: true, force: true });
    },
  };
}
