'use client';
/**
 * Round-trip time from `ping` (by hand and automatically) and the counters of what crossed
 * the socket.
 */
import { useState } from 'react';
import { formatInteger } from '@/components/format';
import { Sparkline } from '@/components/Sparkline';
import { formatBytes } from './frame-info';
import type { ActionResult, TesterModel, TesterView } from './tester-model';
import { Panel } from './ui';

const INTERVALS = [1000, 2000, 5000, 10_000, 30_000];

const ms = (value: number | null, decimals = 0) => (value === null ? '—' : `${value.toFixed(decimals)}`);

export function RttPanel({ model, view }: { model: TesterModel; view: TesterView }) {
  const [result, setResult] = useState<ActionResult | null>(null);
  const { rtt, autoPing } = view;
  const connected = view.state === 'open';

  return (
    <Panel
      title="Round trip"
      id="tester-rtt"
      actions={
        <button
          type="button"
          className="pb-button pb-button--primary"
          onClick={async () => setResult(await model.ping())}
          disabled={!connected}
          data-testid="ping"
        >
          Ping
        </button>
      }
    >
      <div className="pb-tester-rtt">
        <div className="pb-tester-rtt__stats" data-testid="rtt">
          <Stat label="Last" value={ms(rtt.last)} unit="ms" testId="rtt-last" />
          <Stat label="Avg" value={ms(rtt.avg, 1)} unit="ms" />
          <Stat label="Min" value={ms(rtt.min)} unit="ms" />
          <Stat label="Max" value={ms(rtt.max)} unit="ms" />
        </div>
        <div className="pb-tester-rtt__chart">
          {rtt.recent.length > 1 ? (
            <Sparkline values={rtt.recent} width={220} height={38} min={0} label={`Last ${rtt.recent.length} round trips`} />
          ) : (
            <span className="pb-muted">The last 60 round trips show here.</span>
          )}
        </div>
        <div className="pb-tester-rtt__controls">
          <label className="pb-tester-check">
            <input
              type="checkbox"
              checked={autoPing.enabled}
              onChange={(e) => model.setAutoPing(e.target.checked)}
              data-testid="auto-ping"
            />
            Ping every
          </label>
          <select
            className="pb-select pb-tester-mini-select"
            aria-label="Automatic ping interval"
            value={autoPing.intervalMs}
            onChange={(e) => model.setAutoPing(autoPing.enabled, Number(e.target.value))}
          >
            {INTERVALS.map((interval) => (
              <option key={interval} value={interval}>
                {interval / 1000} s
              </option>
            ))}
          </select>
          <span className="pb-muted">
            {formatInteger(rtt.count)} pings{rtt.failures > 0 && <>, {formatInteger(rtt.failures)} failed</>}
          </span>
        </div>
        {(rtt.lastError || (result && !result.ok)) && (
          <p className="pb-tester-error">{rtt.lastError ?? (result && !result.ok ? `${result.code}: ${result.message}` : '')}</p>
        )}
      </div>
    </Panel>
  );
}

export function CountersPanel({ model, view }: { model: TesterModel; view: TesterView }) {
  const c = view.counters;
  return (
    <Panel
      title="Counters"
      id="tester-counters"
      actions={
        <button type="button" className="pb-button pb-button--chip" onClick={() => model.resetCounters()}>
          Reset
        </button>
      }
    >
      <div className="pb-tester-counters" data-testid="counters">
        <Stat label="Frames in" value={formatInteger(c.framesIn)} testId="frames-in" />
        <Stat label="Frames out" value={formatInteger(c.framesOut)} testId="frames-out" />
        <Stat label="Bytes in" value={formatBytes(c.bytesIn)} />
        <Stat label="Bytes out" value={formatBytes(c.bytesOut)} />
        <Stat label="Snapshots" value={formatInteger(c.snapshots)} testId="snapshots" />
        <Stat label="Deltas" value={formatInteger(c.deltas)} note={c.recoveryDeltas > 0 ? `${c.recoveryDeltas} recovery` : undefined} testId="deltas" />
        <Stat label="Events" value={formatInteger(c.events)} />
        <Stat label="Errors" value={formatInteger(c.errors)} tone={c.errors > 0 ? 'bad' : undefined} testId="errors" />
        <Stat label="Sessions" value={formatInteger(c.sessions)} note={c.drops > 0 ? `${c.drops} dropped` : undefined} />
        <Stat label="Gaps" value={formatInteger(c.gaps)} tone={c.gaps > 0 ? 'bad' : undefined} />
      </div>
      {view.channels.length > 0 && (
        <div className="pb-tester-seqs" data-testid="channel-seqs">
          <span className="pb-label">Last seq per channel</span>
          <ul>
            {view.channels.map((ch) => (
              <li key={ch.channel} title={`epoch ${ch.epoch}`}>
                <span className="pb-mono">{ch.channel}</span> <strong className="pb-mono">{ch.seq}</strong>
              </li>
            ))}
          </ul>
        </div>
      )}
    </Panel>
  );
}

function Stat({ label, value, unit, note, tone, testId }: { label: string; value: string; unit?: string; note?: string; tone?: 'bad'; testId?: string }) {
  return (
    <div className={tone === 'bad' ? 'pb-stat pb-tester-stat pb-tester-stat--bad' : 'pb-stat pb-tester-stat'}>
      <span className="pb-stat__label">{label}</span>
      <span className="pb-stat__value" data-testid={testId}>
        {value}
        {unit && <span className="pb-tester-stat__unit"> {unit}</span>}
      </span>
      {note && <span className="pb-tester-stat__note">{note}</span>}
    </div>
  );
}
