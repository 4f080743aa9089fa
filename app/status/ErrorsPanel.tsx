/** Error counts per code: within the charts' window and since start, the most recent first. */
import { formatInteger } from '@/components/format';
import { errorCodeInfo } from './tones';

export interface ErrorsPanelProps {
  /** Since server start. */
  total: Record<string, number>;
  /** Within the charts' window (the last fifteen minutes). */
  recent: Record<string, number>;
}

export function ErrorsPanel({ total, recent }: ErrorsPanelProps) {
  const codes = Object.keys(total)
    .filter((code) => total[code] > 0)
    .sort((a, b) => (recent[b] ?? 0) - (recent[a] ?? 0) || total[b] - total[a] || a.localeCompare(b));

  return (
    <section className="pb-panel pb-span-4" aria-labelledby="pb-status-errors">
      <div className="pb-panel__head">
        <h2 className="pb-panel__title" id="pb-status-errors">
          Errors by code
        </h2>
      </div>
      <div className="pb-panel__body pb-panel__body--flush">
        {codes.length === 0 ? (
          <p className="pb-empty pb-status-none">
            <span aria-hidden="true">✓</span> No errors since start.
          </p>
        ) : (
          <div className="pb-table-wrap">
            <table className="pb-table pb-status-errors">
              <thead>
                <tr>
                  <th scope="col">Code</th>
                  <th scope="col" className="pb-num">
                    15 min
                  </th>
                  <th scope="col" className="pb-num">
                    Since start
                  </th>
                </tr>
              </thead>
              <tbody>
                {codes.map((code) => {
                  const info = errorCodeInfo(code);
                  const last = recent[code] ?? 0;
                  return (
                    <tr key={code} data-error-code={code}>
                      <th scope="row" title={info.meaning}>
                        <span className={`pb-status-code pb-status-code--${info.tone}`}>{code}</span>
                      </th>
                      <td className={`pb-num${last > 0 ? ' pb-status-errors__recent' : ' pb-muted'}`}>{last > 0 ? `+${formatInteger(last)}` : '0'}</td>
                      <td className="pb-num">{formatInteger(total[code])}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
