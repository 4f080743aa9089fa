/**
 * A local cluster for trying scale-out by hand (docs/scaling.md):
 *
 *   npm run dev:cluster            redis-server + two instances + a round-robin balancer
 *   npm run dev:cluster -- --instances 3
 *
 * Starts a redis-server of its own (temp directory, append-only file), builds the app if it
 * has no production build yet, runs the instances with `NODE_ENV=production` on ports
 * 3001, 3002, ... (the simulator on the first only), and balances
 * http://localhost:3000 over them at the TCP level, so pages and WebSockets land on
 * different instances. Ctrl-C stops everything.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { startLocalRedis } from './lib/local-redis';

const root = join(__dirname, '..');
const args = process.argv.slice(2);
const count = Number(args[args.indexOf('--instances') + 1] ?? 2) || 2;
const port = Number(process.env.PORT ?? 3000);

async function main(): Promise<void> {
  if (!existsSync(join(root, '.next', 'BUILD_ID'))) {
    console.log('No production build yet: running next build...');
    const build = spawnSync('npx', ['next', 'build'], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) process.exit(build.status ?? 1);
  }
  const redis = await startLocalRedis({ persistence: 'aof' });
  console.log(`redis-server on ${redis.url} (data in ${redis.dir})`);

  const shared = {
    ...process.env,
    NODE_ENV: 'production' as const,
    HOST: '127.0.0.1',
    REDIS_URL: redis.url,
    PULSE_JWT_SECRET: process.env.PULSE_JWT_SECRET ?? randomBytes(24).toString('base64url'),
    PULSE_API_KEY: process.env.PULSE_API_KEY ?? randomBytes(12).toString('base64url'),
    // A local demo: viewers need no token (never do this on a shared network).
    PULSE_ANONYMOUS: '1',
  };
  const ports = Array.from({ length: count }, (_, i) => port + 1 + i);
  const children: ChildProcess[] = ports.map((instancePort, i) =>
    spawn(process.execPath, ['--import', 'tsx', 'server.ts'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...shared, PORT: String(instancePort), PULSE_SIMULATOR: i === 0 ? '1' : '0' },
    }),
  );

  let next = 0;
  const balancer = createServer((client: Socket) => {
    const target = ports[next++ % ports.length];
    const upstream = connect(target, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  balancer.listen(port, () => {
    console.log(`\nBalancer on http://localhost:${port} → instances on ${ports.map((p) => `:${p}`).join(', ')}`);
    console.log(`Admin key for /status: ${shared.PULSE_API_KEY}\n`);
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    balancer.close();
    await Promise.all(children.map((child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM'))))));
    await redis.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (const child of children) child.once('exit', (code) => !stopping && console.error(`an instance exited with ${code}`));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
