/** Helpers for tests of `loadConfig`. */
import { ConfigError, loadConfig } from '@/lib/config';

/** The ConfigError that loading `env` throws; fails the test when it loads. */
export function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}
