/**
 * Browser tests run the production build. Build once when `.next` is missing or older than
 * the sources it is made from.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const SOURCES = ['app', 'components', 'hooks', 'lib', 'next.config.js', 'package.json'];

function newestMtime(entry: string): number {
  const stats = statSync(entry);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return readdirSync(entry).reduce((newest, name) => Math.max(newest, newestMtime(path.join(entry, name))), stats.mtimeMs);
}

export default function globalSetup(): void {
  const buildId = path.join(ROOT, process.env.PULSE_NEXT_DIST || '.next', 'BUILD_ID');
  const sourcesChanged = SOURCES.map((s) => path.join(ROOT, s)).filter(existsSync).reduce((m, s) => Math.max(m, newestMtime(s)), 0);
  if (existsSync(buildId) && statSync(buildId).mtimeMs > sourcesChanged) return;
  console.log('\nBuilding the app for the browser tests (next build)...');
  execFileSync(path.join(ROOT, 'node_modules/.bin/next'), ['build'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', PULSE_SKIP_BUILD_TYPECHECK: '1' },
  });
}
