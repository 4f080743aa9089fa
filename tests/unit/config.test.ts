import { loadConfig } from '@/lib/config';
import { configError } from '../helpers/config';

const SECRET = 's'.repeat(32);
const KEY = 'k'.repeat(16);

describe('defaults', () => {
  it('match the protocol', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      production: false,
      port: 3000,
      host: '0.0.0.0',
      allowedOrigins: [],
      maxPayload: 1024 * 1024,
      authTimeoutMs: 10_000,
      snapshotEvents: 50,
      historySize: 1000,
      historyTtlMs: 300_000,
      batchMs: 100,
      maxSubscriptions: 100,
      rateLimit: 100,
      slowConsumerBytes: 1024 * 1024,
      slowConsumerTimeoutMs: 30_000,
      maxConnections: 10_000,
      maxConnectionsPerTenant: 1000,
      heartbeatMs: 25_000,
      shutdownGraceMs: 5000,
      apiKey: undefined,
      anonymous: true,
      devTokens: true,
      logLevel: 'info',
      redisUrl: undefined,
    });
  });

  it('generates a random secret per load when none is set', () => {
    const a = loadConfig({});
    const b = loadConfig({});
    expect(a.jwtSecretGenerated).toBe(true);
    expect(a.jwtSecret.length).toBeGreaterThanOrEqual(32);
    expect(a.jwtSecret).not.toBe(b.jwtSecret);
  });

  it('uses a configured secret as given', () => {
    const config = loadConfig({ PULSE_JWT_SECRET: SECRET });
    expect(config.jwtSecret).toBe(SECRET);
    expect(config.jwtSecretGenerated).toBe(false);
  });

  it('treats empty and blank values as unset', () => {
    expect(loadConfig({ PORT: '', PULSE_RATE_LIMIT: '' })).toMatchObject({ port: 3000, rateLimit: 100 });
    expect(loadConfig({ PORT: '  ', PULSE_SHUTDOWN_GRACE_MS: ' ' })).toMatchObject({ port: 3000, shutdownGraceMs: 5000 });
  });

  it('caps history and snapshot events in bytes: 8 MiB and 256 KiB', () => {
    expect(loadConfig({})).toMatchObject({ historyMaxBytes: 8 * 1024 * 1024, snapshotEventsMaxBytes: 256 * 1024 });
    expect(loadConfig({ PULSE_HISTORY_MAX_BYTES: '4096', PULSE_SNAPSHOT_EVENTS_MAX_BYTES: '0' })).toMatchObject({ historyMaxBytes: 4096, snapshotEventsMaxBytes: 0 });
    expect(configError({ PULSE_HISTORY_MAX_BYTES: '100' }).variable).toBe('PULSE_HISTORY_MAX_BYTES');
  });

  it('reads and trims numbers', () => {
    expect(loadConfig({ PORT: ' 8080 ', PULSE_BATCH_MS: '50', PULSE_RATE_LIMIT: '7' })).toMatchObject({ port: 8080, batchMs: 50, rateLimit: 7 });
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });
});

describe('bad values name their variable', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PULSE_RATE_LIMIT', '1.5'],
    ['PULSE_RATE_LIMIT', '0'],
    ['PULSE_MAX_PAYLOAD', '10'],
    ['PULSE_BATCH_MS', '60001'],
    ['PULSE_HEARTBEAT_MS', '5'],
    ['PULSE_AUTH_TIMEOUT_MS', 'soon'],
    ['PULSE_SNAPSHOT_EVENTS', '10001'],
    ['PULSE_HISTORY_SIZE', '0'],
    ['PULSE_ANONYMOUS', 'maybe'],
    ['PULSE_DEV_TOKENS', '2'],
    ['PULSE_SIMULATOR_RATE', '-1'],
    ['PULSE_LOG_LEVEL', 'verbose'],
    ['NODE_ENV', 'staging'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['PULSE_JWT_SECRET', 'short'],
    ['PULSE_API_KEY', 'short'],
  ])('%s=%j', (variable, value) => {
    const error = configError({ [variable]: value });
    expect(error.variable).toBe(variable);
    expect(error.message).toContain(variable);
    expect(error.message.split('\n')).toHaveLength(1);
  });

  it('shows an ordinary bad value but never a secret one', () => {
    expect(configError({ PORT: 'abc' }).message).toContain('"abc"');
    expect(configError({ PULSE_JWT_SECRET: 'hunter2-secret' }).message).not.toContain('hunter2');
    expect(configError({ PULSE_API_KEY: 'topkey1' }).message).not.toContain('topkey1');
    expect(configError({ REDIS_URL: 'http://user:pa55word@host' }).message).not.toContain('pa55word');
  });
});

describe('production', () => {
  it('refuses to start without a secret and an API key, naming what is missing', () => {
    const both = configError({ NODE_ENV: 'production' });
    expect(both.message).toContain('PULSE_JWT_SECRET');
    expect(both.message).toContain('PULSE_API_KEY');

    const noKey = configError({ NODE_ENV: 'production', PULSE_JWT_SECRET: SECRET });
    expect(noKey.variable).toBe('PULSE_API_KEY');

    const noSecret = configError({ NODE_ENV: 'production', PULSE_API_KEY: KEY });
    expect(noSecret.variable).toBe('PULSE_JWT_SECRET');
  });

  it('refuses even with PULSE_ANONYMOUS=0', () => {
    expect(configError({ NODE_ENV: 'production', PULSE_ANONYMOUS: '0' }).message).toContain('PULSE_JWT_SECRET');
  });

  it('starts without them when PULSE_ANONYMOUS=1 is set on purpose', () => {
    const config = loadConfig({ NODE_ENV: 'production', PULSE_ANONYMOUS: '1' });
    expect(config.production).toBe(true);
    expect(config.anonymous).toBe(true);
    expect(config.jwtSecretGenerated).toBe(true);
  });

  it('turns anonymous mode and development tokens off by default', () => {
    const config = loadConfig({ NODE_ENV: 'production', PULSE_JWT_SECRET: SECRET, PULSE_API_KEY: KEY });
    expect(config).toMatchObject({ production: true, anonymous: false, devTokens: false, jwtSecret: SECRET, apiKey: KEY });
  });

  it('lets them be turned on explicitly', () => {
    const config = loadConfig({ NODE_ENV: 'production', PULSE_JWT_SECRET: SECRET, PULSE_API_KEY: KEY, PULSE_DEV_TOKENS: '1', PULSE_ANONYMOUS: 'yes' });
    expect(config).toMatchObject({ anonymous: true, devTokens: true });
  });
});

describe('JWT secret length (HS256, RFC 7518 section 3.2)', () => {
  it('refuses a secret under 32 bytes in production, naming the variable and never showing the value', () => {
    const short = 'p'.repeat(31);
    const error = configError({ NODE_ENV: 'production', PULSE_JWT_SECRET: short, PULSE_API_KEY: KEY });
    expect(error.variable).toBe('PULSE_JWT_SECRET');
    expect(error.message).toContain('32 bytes');
    expect(error.message).not.toContain(short);
    // Bytes, not characters: 16 two-byte characters are 32 bytes.
    expect(loadConfig({ NODE_ENV: 'production', PULSE_JWT_SECRET: 'é'.repeat(16), PULSE_API_KEY: KEY }).jwtSecret).toBe('é'.repeat(16));
    expect(loadConfig({ NODE_ENV: 'production', PULSE_JWT_SECRET: SECRET, PULSE_API_KEY: KEY }).jwtSecret).toBe(SECRET);
  });

  it('still starts with 16 bytes outside production (the hub warns)', () => {
    expect(loadConfig({ NODE_ENV: 'development', PULSE_JWT_SECRET: 'd'.repeat(16) }).jwtSecret).toBe('d'.repeat(16));
    expect(configError({ NODE_ENV: 'development', PULSE_JWT_SECRET: 'd'.repeat(15) }).variable).toBe('PULSE_JWT_SECRET');
  });
});

describe('token policy', () => {
  it('has no audience, issuer or lifetime check by default', () => {
    expect(loadConfig({})).toMatchObject({ jwtAudience: undefined, jwtIssuer: undefined, jwtMaxLifetimeS: undefined });
  });

  it('reads them', () => {
    const config = loadConfig({ PULSE_JWT_AUDIENCE: 'pulseboard', PULSE_JWT_ISSUER: 'https://id.example.com', PULSE_JWT_MAX_LIFETIME_S: '3600' });
    expect(config).toMatchObject({ jwtAudience: 'pulseboard', jwtIssuer: 'https://id.example.com', jwtMaxLifetimeS: 3600 });
    expect(configError({ PULSE_JWT_MAX_LIFETIME_S: '0' }).variable).toBe('PULSE_JWT_MAX_LIFETIME_S');
  });
});

describe('unauthenticated sockets and filters', () => {
  it('give waiting sockets a tenth of the connection limit, at least 256 and at most 1000, and 256 per address', () => {
    expect(loadConfig({})).toMatchObject({ maxUnauthenticated: 1000, maxUnauthenticatedPerAddress: 256, maxFilterBytesPerConnection: 256 * 1024 });
    expect(loadConfig({ PULSE_MAX_CONNECTIONS: '5000' }).maxUnauthenticated).toBe(500);
    expect(loadConfig({ PULSE_MAX_CONNECTIONS: '40' }).maxUnauthenticated).toBe(256);
  });

  it('reads them, never allowing more per address than in all', () => {
    expect(loadConfig({ PULSE_MAX_UNAUTHENTICATED: '20', PULSE_MAX_UNAUTHENTICATED_PER_ADDRESS: '5' })).toMatchObject({ maxUnauthenticated: 20, maxUnauthenticatedPerAddress: 5 });
    expect(loadConfig({ PULSE_MAX_UNAUTHENTICATED: '20' }).maxUnauthenticatedPerAddress).toBe(20);
    expect(configError({ PULSE_MAX_UNAUTHENTICATED: '0' }).variable).toBe('PULSE_MAX_UNAUTHENTICATED');
  });

  it('keeps the per-connection filter budget at least one largest filter', () => {
    expect(loadConfig({ PULSE_MAX_FILTER_BYTES_PER_CONNECTION: '1000000' }).maxFilterBytesPerConnection).toBe(1_000_000);
    expect(configError({ PULSE_MAX_FILTER_BYTES_PER_CONNECTION: '1024' }).variable).toBe('PULSE_MAX_FILTER_BYTES_PER_CONNECTION');
  });
});

describe('outside production', () => {
  it.each(['development', 'test'])('turns anonymous mode and development tokens on by default (%s)', (NODE_ENV) => {
    expect(loadConfig({ NODE_ENV })).toMatchObject({ production: false, anonymous: true, devTokens: true });
  });

  it('lets them be turned off, with any flag spelling', () => {
    for (const off of ['0', 'false', 'off', 'no']) {
      expect(loadConfig({ PULSE_ANONYMOUS: off, PULSE_DEV_TOKENS: off })).toMatchObject({ anonymous: false, devTokens: false });
    }
    for (const on of ['1', 'true', 'on', 'yes']) {
      expect(loadConfig({ PULSE_ANONYMOUS: on }).anonymous).toBe(true);
    }
  });
});

describe('dashboard tenant', () => {
  it('is demo unless set, and must be a tenant id', () => {
    expect(loadConfig({}).dashboardTenant).toBe('demo');
    expect(loadConfig({ PULSE_DASHBOARD_TENANT: 'acme' }).dashboardTenant).toBe('acme');
    expect(configError({ PULSE_DASHBOARD_TENANT: 'acme/ops' }).variable).toBe('PULSE_DASHBOARD_TENANT');
  });
});

describe('allowed origins', () => {
  it('splits on commas, trimming and dropping empty entries', () => {
    expect(loadConfig({ PULSE_ALLOWED_ORIGINS: 'https://a.example' }).allowedOrigins).toEqual(['https://a.example']);
    expect(loadConfig({ PULSE_ALLOWED_ORIGINS: ' https://a.example , ,https://b.example:8443,' }).allowedOrigins).toEqual([
      'https://a.example',
      'https://b.example:8443',
    ]);
  });
});

describe('other values', () => {
  it('accepts redis and rediss URLs', () => {
    expect(loadConfig({ REDIS_URL: 'redis://localhost:6379' }).redisUrl).toBe('redis://localhost:6379');
    expect(loadConfig({ REDIS_URL: 'rediss://cache.example:6380' }).redisUrl).toBe('rediss://cache.example:6380');
  });

  it('puts the Redis scheme in lower case, so REDISS:// still means TLS to ioredis', () => {
    expect(loadConfig({ REDIS_URL: 'REDISS://:Secret@Cache.example:6380/2' }).redisUrl).toBe('rediss://:Secret@Cache.example:6380/2');
    expect(loadConfig({ REDIS_URL: 'Redis://localhost:6379' }).redisUrl).toBe('redis://localhost:6379');
  });
});
