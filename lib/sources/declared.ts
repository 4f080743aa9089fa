/**
 * Declared data sources (docs/sources.md): the file `PULSE_SOURCES` names, validated once at
 * start-up. Every message names the source and the field, as `lib/config.ts` does for
 * variables, so a typo is found before anything connects.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CHANNEL_NAME, PRIORITIES, TENANT_ID } from '../protocol';

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1 to 64 of A-Z a-z 0-9 _ . -');
const priority = z.enum(PRIORITIES);
const fieldName = z.string().min(1).max(128);

/** How upstream rows become records: where the id comes from, which fields are kept, renamed. */
const mapping = {
  /** The field holding the record id, or a template such as `"{region}-{code}"`. */
  id: z.string().min(1).default('id'),
  /** Fields to keep (after renaming); all of them when absent. The id is always kept. */
  fields: z.array(fieldName).min(1).optional(),
  /** Upstream field → record field. */
  rename: z.record(fieldName, fieldName).optional(),
};

/**
 * Turns a change of one numeric field into an event: `"gdp" fell more than 5%` is
 * `{ field: "gdp", direction: "down", percent: 5, type: "alert.economic", priority: "high" }`;
 * `"vitality" dropped 10 points` is `{ field: "vitality", direction: "down", points: 10, … }`.
 * Compared with the value the channel holds (the last one published).
 */
const alertRule = z
  .object({
    field: fieldName,
    direction: z.enum(['down', 'up', 'any']).default('any'),
    percent: z.number().positive().optional(),
    points: z.number().positive().optional(),
    type: z.string().min(1).max(128),
    priority: priority.default('normal'),
  })
  .strict()
  .refine((rule) => (rule.percent === undefined) !== (rule.points === undefined), { message: 'needs exactly one of percent or points' });

const common = {
  name,
  tenant: z.string().regex(TENANT_ID, `must match ${TENANT_ID.source}`).default('demo'),
  channel: z.string().regex(CHANNEL_NAME, `must match ${CHANNEL_NAME.source}`),
};

const httpSource = z
  .object({
    ...common,
    ...mapping,
    kind: z.literal('http'),
    url: z.url({ protocol: /^https?$/ }),
    intervalMs: z.number().int().min(100).max(86_400_000).default(5000),
    timeoutMs: z.number().int().min(100).max(120_000).default(5000),
    headers: z.record(z.string(), z.string()).default({}),
    /** Dotted path to the rows inside the body (`"data.items"`); the body itself when absent. */
    rowsPath: z.string().min(1).optional(),
    /** Relative change a numeric field must exceed to count (0.01 = 1%), and per field. */
    threshold: z.number().min(0).max(100).default(0.01),
    thresholds: z.record(fieldName, z.number().min(0).max(100)).default({}),
    alerts: z.array(alertRule).max(100).default([]),
    /** An empty array where rows were is taken as an upstream fault unless this is true. */
    allowEmpty: z.boolean().default(false),
    /** Largest body read (decoded bytes); a larger one fails the poll without being read whole. */
    maxBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(8 * 1024 * 1024),
  })
  .strict();

const topicRule = z
  .object({
    /** MQTT topic with `{name}` placeholders for single levels (`nodes/{id}/position`), or `+`/`#`. */
    topic: z.string().min(1).max(256),
    /** What a message becomes: a record patched with the payload (default), or an event. */
    as: z.enum(['record', 'event']).default('record'),
    /** For events: the event type (default: the topic) and priority. */
    type: z.string().min(1).max(128).optional(),
    priority: priority.default('normal'),
  })
  .strict();

const mqttSource = z
  .object({
    ...common,
    ...mapping,
    kind: z.literal('mqtt'),
    url: z.url({ protocol: /^(mqtts?|wss?)$/ }),
    username: z.string().optional(),
    password: z.string().optional(),
    /** TLS: CA certificate file, and whether to verify the broker (default true). */
    tls: z.object({ ca: z.string().optional(), rejectUnauthorized: z.boolean().default(true) }).strict().optional(),
    clientId: z.string().min(1).max(128).optional(),
    topics: z.array(topicRule).min(1).max(100),
  })
  .strict();

const postgresSource = z
  .object({
    ...common,
    ...mapping,
    kind: z.literal('postgres'),
    connectionString: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
    /** The table or view the channel mirrors (`schema.table` allowed). */
    table: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'must be a table name'),
    /** Its primary key column (the record id unless `id` says otherwise). */
    key: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a column name').default('id'),
    /** The NOTIFY channel the shipped trigger writes to (default `pulse_<table>`). */
    notify: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case identifier').optional(),
  })
  .strict();

const source = z.discriminatedUnion('kind', [httpSource, mqttSource, postgresSource]);
const file = z.object({ sources: z.array(z.unknown()).max(100) }).strict();

export type HttpSourceConfig = z.infer<typeof httpSource>;
export type MqttSourceConfig = z.infer<typeof mqttSource>;
export type PostgresSourceConfig = z.infer<typeof postgresSource>;
export type SourceConfig = z.infer<typeof source>;
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
    const label = typeof (raw as { name?: unknown })?.name === 'string' ? `source "${(raw as { name: string }).name}"` : `source #${index + 1}`;
    const parsed = source.safeParse(raw);
    if (!parsed.success) throw new SourcesConfigError(`${origin}: ${label}: ${describe(parsed.error.issues[0])}`);
    if (names.has(parsed.data.name)) throw new SourcesConfigError(`${origin}: ${label}: name is used twice`);
    names.add(parsed.data.name);
    sources.push(parsed.data);
  });
  return sources;
}

/** Reads and validates the file `PULSE_SOURCES` names. */
export function loadSources(path: string): SourceConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SourcesConfigError(`PULSE_SOURCES: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? error})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new SourcesConfigError(`PULSE_SOURCES: ${path} is not valid JSON (${(error as Error).message})`);
  }
  return parseSources(json, path);
}

function describe(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') return `${path ? `${path}: ` : ''}unknown field ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_union' && path === 'kind') return 'kind must be "http", "mqtt" or "postgres"';
  return `${path || 'value'}: ${issue.message}`;
}
