/**
 * Production safety (SPEC.md, Configuration): with NODE_ENV=production the server refuses to
 * start without PULSE_JWT_SECRET and PULSE_API_KEY unless PULSE_ANONYMOUS=1 is set explicitly,
 * and says why in one line, before Next.js is even loaded.
 */
import { loadConfig } from '@/lib/config';
import { configError as refusal } from '../helpers/config';
import { runServer } from '../helpers/server-process';

jest.setTimeout(30_000);

const SECRET = 'a-production-secret-0123456789-abcdef';
const KEY = 'a-production-api-key';

describe('loadConfig in production', () => {
  it('refuses to run without a secret and a key, naming both', () => {
    const error = refusal({ NODE_ENV: 'production' });
    expect(error.message).toMatch(/PULSE_JWT_SECRET and PULSE_API_KEY must be set in production/);
    expect(error.message).toMatch(/PULSE_ANONYMOUS=1/);
    expect(error.message).not.toContain('\n');
  });

  it('names the one that is missing', () => {
    expect(refusal({ NODE_ENV: 'production', PULSE_JWT_SECRET: SECRET }).variable).toBe('PULSE_API_KEY');
    expect(refusal({ NODE_ENV: 'production', PULSE_API_KEY: KEY }).variable).toBe('PULSE_JWT_SECRET');
  });

  it('does not take anonymous mode as given: only an explicit PULSE_ANONYMOUS=1 opens the server', () => {
    refusal({ NODE_ENV: 'production', PULSE_ANONYMOUS: '0' });
    refusal({ NODE_ENV: 'production', PULSE_ANONYMOUS: '' });
    const open = loadConfig({ NODE_ENV: 'production', PULSE_ANONYMOUS: '1' });
    expect(open).toMatchObject({ production: true, anonymous: true, apiKey: undefined, devTokens: false, jwtSecretGenerated: true });
  });

  it('starts closed with both set: no anonymous sessions, no development tokens', () => {
    const config = loadConfig({ NODE_ENV: 'production', PULSE_JWT_SECRET: SECRET, PULSE_API_KEY: KEY });
    expect(config).toMatchObject({ production: true, anonymous: false, devTokens: false, jwtSecret: SECRET, apiKey: KEY, jwtSecretGenerated: false });
  });

  it('refuses a secret shorter than 32 bytes (HS256, RFC 7518 section 3.2), though 16 would do outside production', () => {
    const short = 'a-production-secret-0123456789'; // 30 bytes
    const error = refusal({ NODE_ENV: 'production', PULSE_JWT_SECRET: short, PULSE_API_KEY: KEY });
    expect(error.variable).toBe('PULSE_JWT_SECRET');
    expect(error.message).toContain('at least 32 bytes in production');
    expect(error.message).not.toContain(short);
    expect(loadConfig({ NODE_ENV: 'development', PULSE_JWT_SECRET: short }).jwtSecret).toBe(short);
  });

  it('never prints a secret, even a wrong one', () => {
    const error = refusal({ NODE_ENV: 'production', PULSE_JWT_SECRET: 'short-secret', PULSE_API_KEY: KEY });
    expect(error.variable).toBe('PULSE_JWT_SECRET');
    expect(error.message).not.toContain('short-secret');
    expect(error.message).toContain('<redacted>');
  });
});

describe('server.ts in production', () => {
  it('exits non-zero with one line when the secret and the key are missing', async () => {
    const { code, stdout, stderr } = await runServer({ NODE_ENV: 'production' });
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      'Invalid configuration: PULSE_JWT_SECRET and PULSE_API_KEY must be set in production (or set PULSE_ANONYMOUS=1 to run an open server on purpose)',
    );
  });

  it('exits non-zero with one line naming a bad variable, without echoing a secret', async () => {
    const { code, stderr } = await runServer({ NODE_ENV: 'production', PULSE_JWT_SECRET: 'too-short', PULSE_API_KEY: KEY });
    expect(code).not.toBe(0);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: PULSE_JWT_SECRET /);
    expect(stderr).not.toContain('too-short');
    expect(stderr).not.toContain(KEY);
  });
});
