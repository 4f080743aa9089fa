/**
 * The Redis link against a real redis-server that requires a password: a wrong or missing
 * password is logged at error with Redis's reason (never the password itself), throttled; a
 * `REDISS://` URL still means TLS. A call Redis cannot take fails with the link's own
 * `RedisUnavailableError`, which no part of the server mistakes for another's.
 */
import Redis, { ReplyError } from 'ioredis';
import { EngineUnavailableError } from '@/lib/engine/types';
import { startLocalRedis, type LocalRedis } from '@/scripts/lib/local-redis';
import { RedisLink, RedisUnavailableError, viaRedis } from '@/lib/redis/link';
import { freePort } from '@/scripts/lib/processes';
import { sleep } from '../helpers/http';
import { captureLogs, type LogCapture } from '../helpers/log-capture';

jest.setTimeout(30_000);

const PASSWORD = 'correct-horse-7f3a9c';
const WRONG = 'wrong-battery-41d2e8';

let redis: LocalRedis;
const links: RedisLink[] = [];

beforeAll(async () => {
  redis = await startLocalRedis();
  // The same as starting it with --requirepass.
  const admin = new Redis(redis.url);
  await admin.config('SET', 'requirepass', PASSWORD);
  admin.disconnect();
});

afterEach(async () => {
  await Promise.all(links.splice(0).map((link) => link.close()));
});

afterAll(async () => {
  await redis.stop();
});

function connect(url: string, capture: LogCapture): RedisLink {
  const link = new RedisLink(url, capture.log);
  links.push(link);
  return link;
}

async function errorLines(capture: LogCapture, count = 1, timeoutMs = 10_000): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = capture.entries().filter((entry) => entry.level === 50);
    if (lines.length >= count) return lines;
    if (Date.now() > deadline) throw new Error(`no error line logged; logs: ${capture.text()}`);
    await sleep(25);
  }
}

it('logs a wrong password at error with WRONGPASS, once however often it retries, never the password', async () => {
  const capture = captureLogs('debug');
  const link = connect(`redis://:${WRONG}@127.0.0.1:${redis.port}`, capture);
  const [line] = await errorLines(capture);
  expect(line.msg).toMatch(/redis refused the credentials/);
  expect(String(line.reason)).toMatch(/WRONGPASS/);
  // Both connections keep retrying (every ≤ 2 s); the reason is not repeated meanwhile.
  await sleep(2500);
  expect(capture.entries().filter((entry) => entry.level === 50)).toHaveLength(1);
  expect(link.isUp).toBe(false);
  expect(capture.text()).not.toContain(WRONG);
});

it('logs a missing password at error with NOAUTH', async () => {
  const capture = captureLogs('debug');
  connect(`redis://127.0.0.1:${redis.port}`, capture);
  const [line] = await errorLines(capture);
  expect(String(line.reason)).toMatch(/NOAUTH/);
});

it('connects with the right password and logs no error', async () => {
  const capture = captureLogs('debug');
  const link = connect(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`, capture);
  expect(await link.waitUntilUp(5000)).toBe(true);
  expect(await link.ping()).toBe(true);
  expect(capture.entries().filter((entry) => (entry.level as number) >= 50)).toEqual([]);
  expect(capture.text()).not.toContain(PASSWORD);
});

it('takes REDISS:// in any case as TLS', async () => {
  const capture = captureLogs('silent');
  const link = connect(`REDISS://127.0.0.1:${redis.port}`, capture);
  expect(link.command.options.tls).toBeDefined();
  expect(link.subscriber.options.tls).toBeDefined();
  const plain = connect(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`, capture);
  expect(plain.command.options.tls).toBeUndefined();
});

describe('viaRedis', () => {
  it('fails a call at once with RedisUnavailableError while Redis is out of reach, not an engine error', async () => {
    const capture = captureLogs('silent');
    const link = connect(`redis://127.0.0.1:${await freePort()}`, capture);
    const failure = await viaRedis(() => link.command.ping()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect(failure).not.toBeInstanceOf(EngineUnavailableError);
    expect((failure as Error).message).toMatch(/^Redis is unreachable \(/);
  });

  it('passes an error Redis itself answered through as it is', async () => {
    const capture = captureLogs('silent');
    const link = connect(`redis://:${PASSWORD}@127.0.0.1:${redis.port}`, capture);
    expect(await link.waitUntilUp(5000)).toBe(true);
    const failure = await viaRedis(() => link.command.eval("return redis.error_reply('broken')", 0)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ReplyError);
    expect((failure as Error).message).toMatch(/broken/);
  });
});
