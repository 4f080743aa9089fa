/**
 * Messages and bytes per second, in and out, each over the last fifteen minutes. Colour tells
 * the direction: blue for what clients send, green for what the hub delivers.
 */
import { formatBytes, formatBytesPerSecond, formatCompact, formatPerSecond } from './format';
import { lineOf, type StatsHistory } from './history';
import { TimeChart } from './TimeChart';
import type { ServerStats } from './types';

const IN = '#38bdf8';
const OUT = '#34d399';

export function TrafficPanel({ stats, history }: { stats: ServerStats; history: StatsHistory }) {
  const { messages, bytes } = stats;
  return (
    <section className="pb-panel pb-span-8" aria-labelledby="pb-status-traffic">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-traffic">
          Traffic
        </h2>
        <div className="pb-panel__actions pb-status-legend">
          <span className="pb-status-legend__item" style={{ color: IN }}>
            in · from clients
          </span>
          <span className="pb-status-legend__item" style={{ color: OUT }}>
            out · to clients
          </span>
        </div>
      </div>
      <div className="pb-panel__body pb-status-charts">
        <TimeChart
          label="Messages in"
          value={formatPerSecond(messages.inPerSec)}
          line={lineOf(history, 'messagesInPerSec')}
          format={formatPerSecond}
          color={IN}
          note={`${formatCompact(messages.in)} total`}
        />
        <TimeChart
          label="Messages out"
          value={formatPerSecond(messages.outPerSec)}
          line={lineOf(history, 'messagesOutPerSec')}
          format={formatPerSecond}
          color={OUT}
          note={`${formatCompact(messages.out)} total`}
        />
        <TimeChart
          label="Bytes in"
          value={formatBytesPerSecond(bytes.inPerSec)}
          line={lineOf(history, 'bytesInPerSec')}
          format={formatBytesPerSecond}
          color={IN}
          floor={1024}
          note={`${formatBytes(bytes.in)} total`}
        />
        <TimeChart
          label="Bytes out"
          value={formatBytesPerSecond(bytes.outPerSec)}
          line={lineOf(history, 'bytesOutPerSec')}
          format={formatBytesPerSecond}
          color={OUT}
          floor={1024}
          note={`${formatBytes(bytes.out)} total`}
        />
      </div>
    </section>
  );
}
