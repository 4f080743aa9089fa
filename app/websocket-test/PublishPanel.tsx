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
import { ChannelField, JsonField, type JsonSample } from './fields';
import { Kbd, Panel, ResultLine } from './ui';

export const PUBLISH_TEMPLATES: readonly JsonSample[] = [
  { label: 'Upsert a record', value: { upsert: [{ id: 'r1', status: 'ok', value: 42 }] } },
  { label: 'Patch one field', value: { upsert: [{ id: 'r1', value: 43 }] } },
  { label: 'Remove a field (null)', value: { upsert: [{ id: 'r1', status: null }] } },
  { label: 'Delete a record', value: { delete: ['r1'] } },
  { label: 'Event', value: { events: [{ type: 'test.hello', priority: 'normal', data: { message: 'Hello from the tester' } }] } },
  { label: 'Critical event (flushed at once)', value: { events: [{ type: 'alert.test', priority: 'critical', data: { message: 'Critical test alert' } }] } },
  {
    label: 'Upsert, delete and event together',
    value: { upsert: [{ id: 'r2', status: 'new' }], delete: ['r1'], events: [{ type: 'test.batch', data: { note: 'one atomic publish' } }] },
  },
  { label: 'Invalid: empty publish', value: {} },
  { label: 'Invalid: same id upserted and deleted', value: { upsert: [{ id: 'r1' }], delete: ['r1'] } },
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
  const [text, setText] = useState(JSON.stringify(PUBLISH_TEMPLATES[0].value, null, 2));
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
        <ChannelField value={channel} onChange={setChannel} invalid={!channelOk} testId="publish-channel" />
        <p className={allowed ? 'pb-tester-help' : 'pb-tester-help pb-tester-warn'} data-testid="publish-rights">
          {allowed
            ? `The token may publish to ${channel.trim()}.`
            : view.token.mode === 'anonymous'
              ? 'Anonymous sessions may not publish: expect FORBIDDEN. Get a dev token with publish patterns.'
              : `The token's publish patterns do not cover ${channel.trim() || 'this channel'}: expect FORBIDDEN.`}
        </p>

        <JsonField
          id="tester-publish-body"
          label={
            <>
              Body: <code>upsert</code> / <code>delete</code> / <code>events</code>
            </>
          }
          value={text}
          onChange={setText}
          samples={PUBLISH_TEMPLATES}
          samplesLabel="Insert a publish template"
          samplesPlaceholder="Templates…"
          invalid={!parsed.ok}
          testId="publish-body"
        >
          {!parsed.ok && <span className="pb-tester-error">{parsed.message}</span>}
        </JsonField>

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
