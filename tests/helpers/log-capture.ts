/** Captures a logger's JSON lines in memory, for tests that assert on what the hub logs. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@/lib/log';

export interface LogCapture {
  log: Logger;
  /** Every line written so far, raw. */
  text(): string;
  /** Every line parsed. */
  entries(): Array<Record<string, unknown>>;
}

export function captureLogs(level = 'debug'): LogCapture {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      done();
    },
  });
  const log = createLogger(level, stream);
  return {
    log,
    text: () => lines.join('\n'),
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
