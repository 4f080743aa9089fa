/**
 * The configuration file at start-up (docs/configuration.md): `server.ts` with a file it cannot
 * use exits non-zero with one line naming the file, the entry and the field, before Next.js is
 * loaded, and never prints a secret it resolved from the environment.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServer } from '../helpers/server-process';

jest.setTimeout(60_000);

const dir = mkdtempSync(join(tmpdir(), 'pulse-config-start-'));

function configFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content, null, 2));
  return path;
}

/** The one line a refused start prints on stderr (nothing on stdout). */
async function refusedStart(env: Record<string, string>): Promise<{ line: string; stderr: string }> {
  const { code, stdout, stderr } = await runServer(env);
  expect(code).not.toBe(0);
  expect(code).not.toBeNull();
  expect(stdout).toBe('');
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return { line: lines[0], stderr };
}

describe('server.ts with a bad PULSE_CONFIG', () => {
  it('exits with one line naming the file, the entry and the field', async () => {
    const path = configFile('pulse.config.json', {
      channels: [{ channel: 'kpi', series: { fields: ['waiting'], resolutionMs: 50, windowMs: 60_000 } }],
    });
    const { line } = await refusedStart({ PULSE_CONFIG: path });
    expect(line).toBe(`${path}: channels[0] (kpi): series.resolutionMs: must be at least 100`);
  });

  it('exits naming a missing variable, and never prints a resolved one', async () => {
    const source = { name: 'orders', kind: 'postgres', channel: 'orders', table: 'orders', connectionString: '${ORDERS_DATABASE_URL}' };
    const path = configFile('secrets.json', { sources: [source] });
    const missing = await refusedStart({ PULSE_CONFIG: path });
    expect(missing.line).toBe(`${path}: sources[0] (orders): connectionString: environment variable ORDERS_DATABASE_URL is not set`);

    const wrong = await refusedStart({ PULSE_CONFIG: path, ORDERS_DATABASE_URL: 'mysql://admin:correct-horse-battery@db/shop' });
    expect(wrong.line).toBe(`${path}: sources[0] (orders): connectionString: must be a postgres:// URL (the value of \${ORDERS_DATABASE_URL})`);
    expect(wrong.stderr).not.toContain('correct-horse-battery');
  });

  it('exits with one line when the file is missing or an unknown section is in it', async () => {
    const absent = join(dir, 'absent.json');
    expect((await refusedStart({ PULSE_CONFIG: absent })).line).toBe(`PULSE_CONFIG: cannot read ${absent} (ENOENT)`);
    const path = configFile('sections.json', { channels: [], dashboard: [] });
    expect((await refusedStart({ PULSE_CONFIG: path })).line).toBe(`${path}: unknown section "dashboard" (a configuration file has sources, channels, dashboards and $schema)`);
  });
});
