/** Which server this is and what it has moved since it started. */
import { formatInteger } from '@/components/format';
import { formatBytes, formatUptime } from './format';
import type { ServerStats } from './types';

export function ServerPanel({ stats }: { stats: ServerStats }) {
  const fanOut = stats.messages.in > 0 ? stats.messages.out / stats.messages.in : null;
  const rows: Array<[string, string, boolean?]> = [
    ['Instance', stats.instance, true],
    ['Engine', stats.engine],
    ['Uptime', formatUptime(stats.uptimeS)],
    ['Messages in', formatInteger(stats.messages.in)],
    ['Messages out', formatInteger(stats.messages.out)],
    ['Bytes in', formatBytes(stats.bytes.in)],
    ['Bytes out', formatBytes(stats.bytes.out)],
    ['Fan-out', fanOut === null ? '—' : `× ${fanOut >= 100 ? formatInteger(fanOut) : fanOut.toFixed(1)}`],
  ];
  return (
    <section className="pb-panel pb-span-4" aria-labelledby="pb-status-server">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-server">
          Server
        </h2>
      </div>
      <div className="pb-panel__body">
        <dl className="pb-status-facts">
          {rows.map(([label, value, mono]) => (
            <div key={label} className="pb-status-facts__row">
              <dt>{label}</dt>
              <dd className={mono ? 'pb-mono' : 'pb-num'} title={value}>
                {value}
              </dd>
            </div>
          ))}
        </dl>
      </div>
    </section>
  );
}
