/**
 * The MQTT bridge (docs/sources.md), on MQTT.js: subscribes to topic patterns at QoS 1 and
 * turns each message into a record patch (`nodes/{id}/position` → record `{id}` patched with
 * the JSON payload) or an event. Messages are published in the order they arrive. A payload
 * that is not JSON, is past the JSON bounds (docs/protocol.md §1, as it will sit in the
 * publish), or is not an object where a record is expected, is counted and logged and changes
 * nothing. The client reconnects with a growing delay and subscribes again.
 *
 * The bridge keeps a session on the broker (a fixed client id, `clean: false`), so QoS 1
 * messages sent while it was away are delivered when it comes back, as long as the broker
 * kept the session.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { backoff, type BackoffOptions } from '../protocol/backoff';
import type { Logger } from '../log';
import { parseJson, type Json, type JsonLimits, type PublishInput } from '../protocol';
import type { MqttSourceConfig } from './declared';
import { ROW_LIMITS, toRecord } from './rows';
import { SourceStatus } from './status';
import { ChannelWriter, type SourceHub } from './writer';

/** Never below half a second: MQTT.js reads a `reconnectPeriod` of 0 as "do not reconnect". */
const RECONNECT: Readonly<BackoffOptions> = { min: 500, max: 30_000, floor: 500 };
/** An event's payload sits two levels below a record's (`{events: [{data: {payload}}]}`). */
const EVENT_PAYLOAD_LIMITS: Readonly<JsonLimits> = Object.freeze({ ...ROW_LIMITS, maxDepth: ROW_LIMITS.maxDepth - 2 });

interface CompiledTopic {
  rule: MqttSourceConfig['topics'][number];
  /** The subscription filter: placeholders become `+`. */
  filter: string;
  match: RegExp;
  names: string[];
}

/** `nodes/{id}/position` → filter `nodes/+/position` and a matcher capturing `id`. */
export function compileTopic(rule: MqttSourceConfig['topics'][number]): CompiledTopic {
  const names: string[] = [];
  const levels = rule.topic.split('/');
  const filter = levels.map((level) => (/^\{[^{}/]+\}$/.test(level) ? '+' : level)).join('/');
  const pattern = levels
    .map((level, i) => {
      const named = /^\{([^{}/]+)\}$/.exec(level);
      if (named) {
        names.push(named[1]);
        return '([^/]+)';
      }
      if (level === '+') return '[^/]+';
      if (level === '#' && i === levels.length - 1) return '.*';
      return level.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { rule, filter, match: new RegExp(`^${pattern}$`), names };
}

export class MqttBridge {
  readonly status: SourceStatus;
  private readonly writer: ChannelWriter;
  private readonly topics: CompiledTopic[];
  private client: MqttClient | undefined;
  private queue: Promise<void> = Promise.resolve();
  private attempts = 0;

  constructor(
    private readonly config: MqttSourceConfig,
    hub: SourceHub,
    private readonly log: Logger,
  ) {
    this.status = new SourceStatus(config.name, 'mqtt', config.tenant, config.channel);
    this.writer = new ChannelWriter(hub, this.status);
    this.topics = config.topics.map(compileTopic);
  }

  start(): void {
    const { url, username, password, tls, clientId, name } = this.config;
    const client = mqtt.connect(url, {
      username,
      password,
      ...(tls ? { ca: tls.ca ? readFileSync(tls.ca) : undefined, rejectUnauthorized: tls.rejectUnauthorized } : {}),
      clientId: clientId ?? `pulseboard-${name}`,
      clean: false,
      reconnectPeriod: RECONNECT.min,
      connectTimeout: 10_000,
    });
    this.client = client;
    const context = { source: name };
    client.on('connect', (connack) => {
      this.attempts = 0;
      client.options.reconnectPeriod = RECONNECT.min;
      client.subscribe(
        this.topics.map((t) => t.filter),
        { qos: 1 },
        (error) => {
          if (error) {
            this.status.failed(`subscribe failed: ${error.message}`);
            this.log.warn({ ...context, err: error }, 'source subscribe failed');
            return;
          }
          this.status.succeeded();
          this.log.info({ ...context, sessionPresent: connack.sessionPresent }, 'source connected');
        },
      );
    });
    client.on('message', (topic, payload) => {
      const receivedAt = Date.now();
      this.queue = this.queue.then(() => this.receive(topic, payload, receivedAt));
    });
    client.on('close', () => {
      if (this.status.state === 'stopped') return;
      // Each lost connection waits longer before the next attempt (MQTT.js reads the period anew).
      client.options.reconnectPeriod = backoff(++this.attempts, RECONNECT);
      if (this.status.state === 'live') {
        this.status.failed('connection lost');
        this.log.warn(context, 'source connection lost');
      }
    });
    client.on('error', (error) => {
      this.status.failed(error.message);
      this.log.warn({ ...context, err: error }, 'source error');
    });
  }

  async stop(): Promise<void> {
    this.status.state = 'stopped';
    await this.client?.endAsync(true).catch(() => undefined);
    await this.queue;
  }

  private async receive(topic: string, payload: Buffer, receivedAt: number): Promise<void> {
    const found = this.match(topic);
    if (!found) return;
    const parsed = parseJson(payload.toString('utf8'), found.topic.rule.as === 'event' ? EVENT_PAYLOAD_LIMITS : ROW_LIMITS, 'payload');
    if (!parsed.ok) return this.invalid(topic, parsed.message);
    const data = parsed.value as Json;
    let input: PublishInput;
    if (found.topic.rule.as === 'event') {
      const { type, priority } = found.topic.rule;
      input = { events: [{ type: type ?? topic, priority, data: { topic, ...found.params, payload: data } }] };
    } else {
      const mapped = toRecord(data, this.config, found.params);
      if (!mapped.ok) return this.invalid(topic, mapped.reason);
      input = { upsert: [mapped.record] };
    }
    try {
      await this.writer.publish(input, receivedAt);
      this.status.succeeded();
    } catch (error) {
      // The engine refused it (unreachable): counted; the device's next message carries on.
      this.status.failed(`publish refused: ${(error as Error).message}`);
      this.log.warn({ source: this.config.name, topic, err: error }, 'source publish refused');
    }
  }

  private match(topic: string): { topic: CompiledTopic; params: Record<string, string> } | undefined {
    for (const compiled of this.topics) {
      const m = compiled.match.exec(topic);
      if (m) return { topic: compiled, params: Object.fromEntries(compiled.names.map((n, i) => [n, m[i + 1]])) };
    }
    return undefined;
  }

  private invalid(topic: string, reason: string): void {
    if (!this.status.skipped()) return;
    this.log.warn({ source: this.config.name, topic, reason, invalid: this.status.invalid }, 'source message skipped');
  }
}
