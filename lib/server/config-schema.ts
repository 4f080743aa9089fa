/**
 * The configuration file's schema (docs/configuration.md): one zod schema that validates the
 * file at start-up and that the published JSON Schema (`docs/pulse.config.schema.json`,
 * `npm run config:schema`) is generated from, so editors check exactly what the server does.
 *
 * Sections are optional members of one strict object: a later section is one more member
 * here, and a key that is no section is refused by name.
 */
import { z } from 'zod';
import { dashboardsSchema } from '../dashboards/schema';
import { SERIES_LIMITS } from '../engine/series-spec';
import { TENANT_ID } from '../protocol/channel';
import { MAX_SOURCES, sourceSchema } from '../sources/declared';

/** Channel names with `*` allowed anywhere: the token patterns of docs/protocol.md §2. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_.:*-]{1,128}$/;
/** The most entries in `channels`. */
export const MAX_CHANNEL_ENTRIES = 1000;
/** What an unset `resolutionMs` and `windowMs` mean: one-second buckets over fifteen minutes. */
export const SERIES_DEFAULTS = { resolutionMs: 1000, windowMs: 900_000 } as const;

const { minResolutionMs, maxResolutionMs, maxBuckets, maxFields } = SERIES_LIMITS;

const series = z
  .object({
    fields: z
      .array(z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'))
      .min(1, 'must name at least one field')
      .max(maxFields, `must name at most ${maxFields} fields`)
      .superRefine((fields, ctx) => {
        const seen = new Map<string, number>();
        fields.forEach((field, index) => {
          const first = seen.get(field);
          if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index], message: `repeats fields[${first}]` });
          else seen.set(field, index);
        });
      })
      .describe('Numeric record fields to keep; a record without the field, or with a value that is not a number, has null there.'),
    resolutionMs: z
      .number()
      .int('must be a whole number of milliseconds')
      .min(minResolutionMs, `must be at least ${minResolutionMs}`)
      .max(maxResolutionMs, `must be at most ${maxResolutionMs} (a day)`)
      .default(SERIES_DEFAULTS.resolutionMs)
      .describe(`Bucket width, ms (at least ${minResolutionMs}).`),
    windowMs: z
      .number()
      .int('must be a whole number of milliseconds')
      .positive('must be positive')
      .max(maxBuckets * maxResolutionMs, `must be at most ${maxBuckets * maxResolutionMs} (${maxBuckets} buckets of a day)`)
      .default(SERIES_DEFAULTS.windowMs)
      .describe(`How far back, ms: a multiple of resolutionMs, at most ${maxBuckets} buckets.`),
  })
  .strict()
  .superRefine(({ resolutionMs, windowMs }, ctx) => {
    if (windowMs < resolutionMs) ctx.addIssue({ code: 'custom', path: ['windowMs'], message: `must be at least resolutionMs (${resolutionMs})` });
    else if (windowMs % resolutionMs !== 0) ctx.addIssue({ code: 'custom', path: ['windowMs'], message: `must be a multiple of resolutionMs (${resolutionMs})` });
    else if (windowMs / resolutionMs > maxBuckets) {
      ctx.addIssue({ code: 'custom', path: ['windowMs'], message: `must be at most ${maxBuckets} buckets: ${maxBuckets * resolutionMs} at resolutionMs ${resolutionMs}` });
    }
  })
  .describe('Keep the recent past of numeric fields in fixed time buckets (docs/protocol.md §13).');

/** One entry of `channels`: which channels of which tenants it is about, and what they keep. */
const channelEntry = z
  .object({
    channel: z
      .string()
      .regex(CHANNEL_PATTERN, 'must be a channel name or a pattern: 1 to 128 of A-Z a-z 0-9 _ . : - and *')
      .describe('A channel name ("kpi"), or a pattern where * matches any run of characters ("fleet:*").'),
    tenant: z
      .string()
      .regex(TENANT_ID, `must match ${TENANT_ID.source}`)
      .optional()
      .describe('The tenant the entry applies to; every tenant when absent.'),
    series,
  })
  .strict();

/** The whole file. */
export const configFileSchema = z
  .object({
    $schema: z.string().optional().describe('The JSON Schema editors check this file with (docs/pulse.config.schema.json).'),
    sources: z
      .array(sourceSchema)
      .max(MAX_SOURCES, `must declare at most ${MAX_SOURCES} sources`)
      .optional()
      .describe('Data sources the server runs: HTTP pollers, MQTT bridges, Postgres LISTEN/NOTIFY bridges (docs/sources.md).'),
    channels: z
      .array(channelEntry)
      .max(MAX_CHANNEL_ENTRIES, `must have at most ${MAX_CHANNEL_ENTRIES} entries`)
      .optional()
      .describe('Per channel (name or pattern) and tenant: which numeric fields keep series, at what resolution, for how long.'),
    dashboards: dashboardsSchema.optional(),
  })
  .strict()
  .meta({ title: 'Pulseboard configuration file', description: 'The file PULSE_CONFIG names (docs/configuration.md).' });

/** The sections a configuration file may have, besides `$schema`. */
export const SECTIONS = Object.keys(configFileSchema.shape).filter((key) => key !== '$schema');

/** A string that is only a reference to an environment variable (docs/configuration.md). */
const VARIABLE_REFERENCE = '\\$\\{[A-Za-z_][A-Za-z0-9_]*\\}';

/**
 * The JSON Schema of the file (draft-07, the draft editors support most widely), as `docs/pulse.config.schema.json` holds it. It
 * describes what people write (defaults are optional), and accepts `"${NAME}"` wherever a
 * string must have a format or a pattern, since such values are resolved before the check.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configFileSchema, {
    io: 'input',
    target: 'draft-07',
    override: ({ jsonSchema }) => {
      if (jsonSchema.type !== 'string' || (jsonSchema.pattern === undefined && jsonSchema.format === undefined)) return;
      const checked = { ...jsonSchema };
      for (const key of Object.keys(jsonSchema)) delete (jsonSchema as Record<string, unknown>)[key];
      const { description, ...rest } = checked;
      Object.assign(jsonSchema, { ...(description === undefined ? {} : { description }), anyOf: [rest, { type: 'string', pattern: VARIABLE_REFERENCE }] });
    },
  });
  return schema;
}

/** Where the published JSON Schema lives, from the repository's root. */
export const CONFIG_JSON_SCHEMA_PATH = 'docs/pulse.config.schema.json';

/** The text of `docs/pulse.config.schema.json` (what `npm run config:schema` writes). */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
