/**
 * Publishes this instance's figures once a second to the server's own channel
 * (`lib/hub/server-figures.ts`), where they are kept as series for `/status`
 * (docs/operations.md, "The server's figures as series"). The composition root starts one per
 * server and stops it before the hub closes.
 *
 * Samples are taken half-way through each second, so timer jitter either way still lands one
 * sample in every one-second bucket. A sample is skipped while the previous one is still being
 * written (an engine that answers slowly) and while the hub shuts down; a failed write is
 * logged once, when the writes start failing, and once when they work again.
 */
import type { Hub } from '../hub/hub';
import { SERVER_TENANT, STATS_CHANNEL, STATS_SERIES, statsRecord } from '../hub/server-figures';

/** Records of instances that have not sampled for this long are removed (they stopped or crashed). */
export const STALE_FIGURES_MS = 30_000;

/** How often an instance looks for such records, in samples. */
const SWEEP_EVERY = 10;

/** Where in each bucket a sample is taken. */
const PHASE = 0.5;

export class StatsSampler {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private samples = 0;
  private failing = false;
  private stopped = false;

  constructor(private readonly hub: Hub) {}

  /**
   * Starts sampling at the next half second.
   *
   * @example
   * const sampler = new StatsSampler(hub);
   * sampler.start();
   * // … on shutdown, before hub.close():
   * await sampler.stop();
   */
  start(): void {
    if (this.stopped || this.timer) return;
    this.schedule();
  }

  /** Stops sampling and removes this instance's record, so its series end here (they are released a window later). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    if (this.hub.shuttingDown) return;
    await this.hub.publish(SERVER_TENANT, STATS_CHANNEL, { delete: [this.hub.instance] }, { bounded: true }).catch(() => {});
  }

  /** Takes and writes one sample now (the timer calls it; tests may too). */
  sample(now = Date.now()): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const write = this.write(now).finally(() => (this.inFlight = undefined));
    this.inFlight = write;
    return write;
  }

  private schedule(): void {
    const resolution = STATS_SERIES.resolutionMs;
    const now = Date.now();
    const phase = resolution * PHASE;
    const delay = (((phase - (now % resolution)) % resolution) + resolution) % resolution || resolution;
    this.timer = setTimeout(() => {
      if (this.stopped) return;
      void this.sample();
      this.schedule();
    }, delay);
    this.timer.unref();
  }

  private async write(now: number): Promise<void> {
    if (this.hub.shuttingDown) return;
    try {
      const stale = ++this.samples % SWEEP_EVERY === 0 && !this.failing ? await this.staleInstances(now) : [];
      const record = statsRecord(this.hub.figures(now));
      await this.hub.publish(SERVER_TENANT, STATS_CHANNEL, stale.length > 0 ? { upsert: [record], delete: stale } : { upsert: [record] }, { bounded: true });
      if (this.failing) this.hub.log.info('server figures are written again');
      this.failing = false;
    } catch (error) {
      if (!this.failing && !this.hub.shuttingDown) this.hub.log.warn({ err: error }, 'server figures could not be written; /status charts miss these seconds');
      this.failing = true;
    }
  }

  /** Ids of other instances' records that have not been sampled for `STALE_FIGURES_MS`. */
  private async staleInstances(now: number): Promise<string[]> {
    const { records } = await this.hub.snapshot(SERVER_TENANT, STATS_CHANNEL);
    return records.filter((record) => record.id !== this.hub.instance && !(typeof record.at === 'number' && now - record.at < STALE_FIGURES_MS)).map((record) => record.id);
  }
}
