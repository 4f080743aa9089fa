'use client';
/**
 * Publish upserts, deletes and events as JSON. What is sent is exactly the JSON given (an empty
 * publish included), so the server's refusals (`FORBIDDEN`, `INVALID_MESSAGE`) can be seen.
 */
import { useMemo, useState, type FormEvent } from 'react';
import { isChannelName } from '@/lib/protocol/channel';
import type { PublishInput } from '@/lib/protocol/messages';
import type { ActionResult, TesterModel, TesterView } from './tester-model';
import { matchesPattern } from './tokens';
import { Kbd, Panel, ResultLine, submitOnCtrlEnter } from './ui';

export const PUBLISH_TEMPLATES: ReadonlyArray<{ label: string; body: unknown }> = [
  { label: 'Upsert a record', body: { upsert: [{ id: 'r1', status: 'ok', value: 42 }] } },
  { label: 'Patch one field', body: { upsert: [{ id: 'r1', value: 43 }] } },
  { label: 'Remove a field (null)', body: { upsert: [{ id: 'r1', status: null }] } },
  { label: 'Delete a record', body: { delete: ['r1'] } },
  { label: 'Event', body: { events: [{ type: 'test.hello', priority: 'normal', data: { message: 'Hello from the tester' } }] } },
  { label: 'Critical event (flushed at once)', body: { events: [{ type: 'alert.test', priority: 'critical', data: { message: 'Critical test alert' } }] } },
  {
    label: 'Upsert, delete and event together',
    body: { upsert: [{ id: 'r2', status: 'new' }], delete: ['r1'], events: [{ type: 'test.batch', data: { note: 'one atomic publish' } }] },
  },
  { label: 'Invalid: empty publish', body: {} },
  { label: 'Invalid: same id upserted and deleted', body: { upsert: [{ id: 'r1' }], delete: ['r1'] } },
];

type Parsed = { ok: true; input: PublishInput } | { ok: false; message: string };

function parseBody(text: string): Parsed {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `JSON: ${error instanceof Error ? error.message : 'not JSON'}` };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, message: 'the body must be a JSON object' };
  return { ok: true, input: raw as PublishInput };
}

export function PublishPanel({ model, view }: { model: TesterModel; view: TesterView }) {
  const [channel, setChannel] = useState('sandbox');
  const [text, setText] = useState(JSON.stringify(PUBLISH_TEMPLATES[0].body, null, 2));
  const [result, setResult] = useState<ActionResult | null>(null);
  const [busy, setBusy] = useState(false);

  const parsed = useMemo(() => parseBody(text), [text]);
  const channelOk = isChannelName(channel.trim());
  const connected = view.state === 'open';

  const allowed = (() => {
    if (view.token.mode === 'anonymous') return false;
    const patterns = view.token.claims?.channels ? view.token.claims.channels.publish : [];
    return matchesPattern(patterns, channel.trim());
  })();

  async function publish(event: FormEvent) {
    event.preventDefault();
    if (!parsed.ok || !channelOk) return;
    setBusy(true);
    setResult(await model.publish(channel.trim(), parsed.input));
    setBusy(false);
  }

  return (
    <Panel title="Publish" id="tester-publish">
      <form className="pb-tester-form" onSubmit={publish} aria-label="Publish">
        <label className="pb-field">
          <span className="pb-label">Channel</span>
          <input
            className="pb-input pb-mono"
            value={channel}
            onChange={(e) => setChannel(e.target.value)}
            list="tester-channels"
            spellCheck={false}
            aria-invalid={!channelOk}
            data-testid="publish-channel"
          />
        </label>
        <p className={allowed ? 'pb-tester-help' : 'pb-tester-help pb-tester-warn'} data-testid="publish-rights">
          {allowed
            ? `The token may publish to ${channel.trim()}.`
            : view.token.mode === 'anonymous'
              ? 'Anonymous sessions may not publish: expect FORBIDDEN. Get a dev token with publish patterns.'
              : `The token's publish patterns do not cover ${channel.trim() || 'this channel'}: expect FORBIDDEN.`}
        </p>

        <div className="pb-field">
          <div className="pb-tester-label-row">
            <label className="pb-label" htmlFor="tester-publish-body">
              Body: <code>upsert</code> / <code>delete</code> / <code>events</code>
            </label>
            <select
              className="pb-select pb-tester-mini-select"
              aria-label="Insert a publish template"
              value=""
              onChange={(e) => {
                const template = PUBLISH_TEMPLATES[Number(e.target.value)];
                if (template) setText(JSON.stringify(template.body, null, 2));
              }}
            >
              <option value="" disabled>
                Templates…
              </option>
              {PUBLISH_TEMPLATES.map((template, i) => (
                <option key={template.label} value={i}>
                  {template.label}
                </option>
              ))}
            </select>
          </div>
          <textarea
            id="tester-publish-body"
            className="pb-textarea"
            rows={7}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={submitOnCtrlEnter}
            spellCheck={false}
            aria-invalid={!parsed.ok}
            data-testid="publish-body"
          />
          {!parsed.ok && <span className="pb-tester-error">{parsed.message}</span>}
        </div>

        <div className="pb-tester-buttons">
          <button
            type="submit"
            className="pb-button pb-button--primary"
            disabled={!parsed.ok || !channelOk || busy}
            title={connected ? undefined : 'Not connected: the client answers NOT_CONNECTED, or queues it while connecting'}
            data-testid="publish"
          >
            Publish
          </button>
          <span className="pb-tester-hint">
            <Kbd>Ctrl</Kbd>+<Kbd>Enter</Kbd> in the body publishes
          </span>
        </div>
        <ResultLine result={result} testId="publish-result" />
      </form>
    </Panel>
  );
}
