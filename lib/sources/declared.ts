/**
 * Declared data sources (docs/sources.md): the `sources` section of the configuration file
 * (docs/configuration.md) and the file `PULSE_SOURCES` names, validated once at start-up.
 * Every message names the source and the field, as `lib/config.ts` does for variables, so a
 * typo is found before anything connects. The descriptions are what editors show from the
 * configuration file's JSON Schema, which is generated from these schemas.
 */
import { z } from 'zod';
import { CHANNEL_NAME, PRIORITIES, TENANT_ID } from '../protocol';

const name = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 _ . -')
  .describe('Unique name of the source: in logs, stats and metrics (1 to 64 of A-Z a-z 0-9 _ . -).');
const priority = z.enum(PRIORITIES);
const fieldName = z.string().min(1).max(128);

/** How upstream rows become records: where the id comes from, which fields are kept, renamed. */
const mapping = {
  id: z.string().min(1).default('id').describe('The field holding the record id, or a template such as "{region}-{code}".'),
  fields: z.array(fieldName).min(1).optional().describe('Record fields to keep (after renaming); all when absent. The id is always kept.'),
  rename: z.record(fieldName, fieldName).optional().describe('Upstream field → record field, e.g. {"gdp_usd_bn": "gdp"}.'),
};

/** Where a rule keeps alert records (docs/sources.md, "Alert records"). */
const alertRecord = z
  .object({
    channel: z.string().regex(CHANNEL_NAME, `must match ${CHANNEL_NAME.source}`).describe("Channel the alert records go to, in the source's tenant (not the source's own channel)."),
    title: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('Title of the alert: {name} takes a field of the row, and {field}, {from}, {to}, {percent} the move. Default: "gdp of DE fell 6.2% (100 → 93.8)".'),
    autoResolve: z.boolean().default(false).describe('Resolve the alert (resolvedBy "source") once the value is no longer past the move of the rule from where it fired, or the row is gone.'),
  })
  .strict()
  .describe('Also keep an alert record that operators acknowledge and resolve: opened when the rule fires, one per rule and row.');

/**
 * Turns a change of one numeric field into an event: `"gdp" fell more than 5%` is
 * `{ field: "gdp", direction: "down", percent: 5, type: "alert.economic", priority: "high" }`;
 * `"vitality" dropped 10 points` is `{ field: "vitality", direction: "down", points: 10, … }`.
 * Compared with the value the channel holds (the last one published).
 */
const alertRule = z
  .object({
    field: fieldName.describe('The numeric record field watched.'),
    direction: z.enum(['down', 'up', 'any']).default('any').describe('Which moves count.'),
    percent: z.number().positive().optional().describe('Fires on a move of more than this share of the held value (exactly one of percent or points).'),
    points: z.number().positive().optional().describe('Fires on a move of at least this much (exactly one of percent or points).'),
    type: z.string().min(1).max(128).describe('Type of the event it publishes, e.g. "alert.economic".'),
    priority: priority.default('normal').describe('Priority of that event; "critical" flushes at once.'),
    record: alertRecord.optional(),
  })
  .strict()
  .refine((rule) => (rule.percent === undefined) !== (rule.points === undefined), { message: 'needs exactly one of percent or points' })
  .describe('Turns a change of one numeric field into an event.');

const common = {
  name,
  tenant: z.string().regex(TENANT_ID, `must match ${TENANT_ID.source}`).default('demo').describe('Tenant the channel belongs to.'),
  channel: z.string().regex(CHANNEL_NAME, `must match ${CHANNEL_NAME.source}`).describe('Channel the records go to.'),
};

const httpSource = z
  .object({
    ...common,
    ...mapping,
    kind: z.literal('http').describe('Polls a JSON endpoint and keeps the channel equal to the rows it lists.'),
    url: z.url({ protocol: /^https?$/ }).describe('The endpoint: http:// or https://. Redirects are not followed.'),
    intervalMs: z.number().int().min(100).max(86_400_000).default(5000).describe('Time between polls, ms (100 ms to a day).'),
    timeoutMs: z.number().int().min(100).max(120_000).default(5000).describe('A poll that takes longer fails, ms.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Sent with every request (credentials: write "${NAME}" to take them from the environment).'),
    rowsPath: z.string().min(1).optional().describe('Dotted path to the array of rows inside the body ("data.items"); the body itself when absent.'),
    threshold: z.number().min(0).max(100).default(0.01).describe('A number counts as changed when it moved by more than this share of the held value (0.01 = 1%).'),
    thresholds: z.record(fieldName, z.number().min(0).max(100)).default({}).describe('The same per field.'),
    alerts: z.array(alertRule).max(100).default([]).describe('Rules that turn a change into an event.'),
    allowEmpty: z.boolean().default(false).describe('Accept an empty listing where rows were (otherwise taken as an upstream fault).'),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024)
      .default(8 * 1024 * 1024)
      .describe('Largest body read after decompression, bytes; a larger one fails the poll without being read whole.'),
  })
  .strict();

const topicRule = z
  .object({
    topic: z.string().min(1).max(256).describe('MQTT topic; {name} matches one level and names it (nodes/{id}/position); + and # as in MQTT.'),
    as: z.enum(['record', 'event']).default('record').describe('What a message becomes: a merge patch of a record, or an event.'),
    type: z.string().min(1).max(128).optional().describe('For events: the event type (default: the topic).'),
    priority: priority.default('normal').describe('For events: the priority.'),
  })
  .strict();

const mqttSource = z
  .object({
    ...common,
    ...mapping,
    kind: z.literal('mqtt').describe('Subscribes to topics on an MQTT broker; each message becomes a record patch or an event.'),
    url: z.url({ protocol: /^(mqtts?|wss?)$/ }).describe('The broker: mqtt://, mqtts://, ws:// or wss://.'),
    username: z.string().optional().describe('Broker user name.'),
    password: z.string().optional().describe('Broker password: write "${NAME}" to take it from the environment.'),
    tls: z
      .object({
        ca: z.string().optional().describe('Path of the CA certificate file.'),
        rejectUnauthorized: z.boolean().default(true).describe('Verify the broker.'),
      })
      .strict()
      .optional(),
    clientId: z.string().min(1).max(128).optional().describe('The session on the broker (default pulseboard-<name>).'),
    topics: z.array(topicRule).min(1).max(100),
  })
  .strict();

const postgresSource = z
  .object({
    ...common,
    ...mapping,
    kind: z.literal('postgres').describe('Keeps a channel equal to a table or view, fed by LISTEN/NOTIFY (sql/pulse-notify.sql).'),
    connectionString: z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
      .describe('postgres://… (with a password: write "${NAME}" to take it from the environment).'),
    table: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'must be a table name')
      .describe('The table or view the channel mirrors (schema.table allowed).'),
    key: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a column name')
      .default('id')
      .describe('Its primary key column (the record id unless id says otherwise).'),
    notify: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier')
      .optional()
      .describe('The NOTIFY channel the trigger writes to (default pulse_<table>).'),
  })
  .strict();

/** One declared source, as the configuration file's `sources` section holds it (docs/sources.md). */
export const sourceSchema = z.discriminatedUnion('kind', [httpSource, mqttSource, postgresSource]);
/** The most sources one server runs. */
export const MAX_SOURCES = 100;
// `$schema` is allowed so a sources file can name the configuration file's JSON Schema: it is
// a configuration file with only a `sources` section.
const file = z.object({ $schema: z.string().optional(), sources: z.array(z.unknown()).max(MAX_SOURCES) }).strict();

export type HttpSourceConfig = z.infer<typeof httpSource>;
export type MqttSourceConfig = z.infer<typeof mqttSource>;
export type PostgresSourceConfig = z.infer<typeof postgresSource>;
export type SourceConfig = z.infer<typeof sourceSchema>;
export type AlertRule = z.infer<typeof alertRule>;
export type RecordMapping = Pick<SourceConfig, 'id' | 'fields' | 'rename'>;

export class SourcesConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SourcesConfigError';
  }
}

/** Validates the sources of a parsed file: `{ "sources": [ … ] }`. */
export function parseSources(input: unknown, origin = 'sources'): SourceConfig[] {
  const outer = file.safeParse(input);
  if (!outer.success) throw new SourcesConfigError(`${origin}: ${describe(outer.error.issues[0])}`);
  const sources: SourceConfig[] = [];
  const names = new Set<string>();
  outer.data.sources.forEach((raw, index) => {
    const label = sourceLabel(raw, index);
    const parsed = sourceSchema.safeParse(raw);
    if (!parsed.success) throw new SourcesConfigError(`${origin}: ${label}: ${describe(parsed.error.issues[0])}`);
    const recordProblem = parsed.data.kind === 'http' ? alertRecordProblem(parsed.data) : undefined;
    if (recordProblem) throw new SourcesConfigError(`${origin}: ${label}: ${recordProblem}`);
    if (names.has(parsed.data.name)) throw new SourcesConfigError(`${origin}: ${label}: name is used twice`);
    names.add(parsed.data.name);
    sources.push(parsed.data);
  });
  return sources;
}

/**
 * What the schema cannot see in one rule: alert records on the source's own channel would be
 * deleted by its next listing, and two rules with the same type and field would share their
 * alerts' ids.
 */
function alertRecordProblem(source: HttpSourceConfig): string | undefined {
  const seen = new Map<string, number>();
  for (const [index, rule] of source.alerts.entries()) {
    if (!rule.record) continue;
    if (rule.record.channel === source.channel) return `alerts.${index}.record.channel: must not be the source's own channel "${source.channel}"`;
    const key = `${rule.type}\u0000${rule.field}`;
    const other = seen.get(key);
    if (other !== undefined) return `alerts.${index}.record: alerts.${other} keeps records for the same type and field already`;
    seen.set(key, index);
  }
  return undefined;
}

/**
 * How messages about the file `PULSE_SOURCES` names refer to an entry: `source "orders"`, or
 * `source #2` without a name. (That file is read by `lib/server/config-file.ts`.)
 */
export function sourceLabel(raw: unknown, index: number): string {
  const name = (raw as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? `source "${name}"` : `source #${index + 1}`;
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return `${path ? `${path}: ` : ''}unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && path === 'kind') return 'kind must be "http", "mqtt" or "postgres"';
  return `${path || 'value'}: ${issue.message}`;
}
