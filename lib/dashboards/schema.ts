/**
 * The configuration file's `dashboards` section (docs/dashboards.md): one zod schema that checks
 * what a file declares and produces `DashboardSpec[]`, the same objects the exported panel
 * components take. Pure and browser-safe: the server's configuration file plugs it in as a
 * section, and the published JSON Schema is generated from it.
 *
 * A panel's `filter` is checked exactly as a subscribe's filter is (`validateFilter`,
 * docs/protocol.md §6), so a dashboard the server starts with never has a panel the hub would
 * refuse to subscribe.
 */
import { z } from 'zod';
import { CHANNEL_NAME, TENANT_ID } from '../protocol/channel';
import { filterSchema, validateFilter } from '../protocol/filter';
import { PRIORITIES } from '../protocol/messages';
import { MAX_INTERVAL_MS } from '../protocol/view';
import type { DashboardSpec } from './types';

/** A dashboard's URL segment, `/d/<slug>`: safe in a path without escaping. */
export const DASHBOARD_SLUG = /^[a-z0-9-]{1,64}$/;

/**
 * Bounds of the section (docs/dashboards.md, "Limits"): every dashboard's spec travels to the
 * browser in each page, and each panel is a subscription of every viewer, so both are kept to
 * what a screen can show.
 */
export const DASHBOARD_LIMITS = Object.freeze({
  dashboards: 100,
  panelsPerDashboard: 48,
  columns: 24,
  thresholds: 10,
  timeseriesFields: 16,
  timeseriesRecords: 100,
  colors: 64,
  /** Rows of a table, events of a feed, alerts of an alerts panel. */
  rows: 1000,
  bars: 100,
  titleLength: 120,
  descriptionLength: 500,
  unitLength: 32,
});

/** Grid columns a dashboard has; a panel spans 1 to this many. */
export const GRID_COLUMNS = 12;

const L = DASHBOARD_LIMITS;

const fieldName = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
const title = z.string().trim().min(1, 'must not be empty').max(L.titleLength, `must be at most ${L.titleLength} characters`);
const limit = (max: number) => z.number().int('must be a whole number').min(1, 'must be at least 1').max(max, `must be at most ${max}`);

const tone = z.enum(['ok', 'warn', 'bad', 'info']);
const valueFormat = z.enum(['number', 'percent', 'duration', 'bytes']).describe('How the number is shown (default "number").');
const unit = z.string().max(L.unitLength, `must be at most ${L.unitLength} characters`).describe('Shown after the number ("ms", "nodes").');

const thresholds = z
  .array(z.strictObject({ value: z.number(), tone }))
  .max(L.thresholds, `must have at most ${L.thresholds} thresholds`)
  .describe('A value at or above a threshold\'s `value` takes its tone ("ok", "warn", "bad", "info"); the highest reached wins.')
  .meta({ id: 'panelThresholds' });

/**
 * A panel's filter: the protocol's own schema (so the published JSON Schema shows its shape),
 * after `validateFilter`, which also refuses keys zod would drop silently and filters over the
 * size limit: the same checks, in the same words, as a `subscribe` gets.
 */
const panelFilter = z
  .preprocess((input, ctx) => {
    const checked = validateFilter(input);
    if (!checked.ok) ctx.issues.push({ code: 'custom', message: checked.message, input });
    return input;
  }, filterSchema)
  .describe('The view\'s filter (docs/protocol.md §6), checked as a subscribe\'s is.')
  // one definition in the published JSON Schema, referred to by every panel kind
  .meta({ id: 'panelFilter' });

/** What every panel has. */
const base = {
  title: title.describe('Heading of the panel.'),
  channel: z
    .string()
    .regex(CHANNEL_NAME, 'must be a channel name: 1 to 128 of A-Z a-z 0-9 _ . : -')
    .describe('The channel the panel is a view of, in the dashboard\'s tenant.'),
  filter: panelFilter.optional(),
  intervalMs: z
    .number()
    .int('must be a whole number of milliseconds')
    .positive('must be positive')
    .max(MAX_INTERVAL_MS, `must be at most ${MAX_INTERVAL_MS}`)
    .optional()
    .describe('The view\'s pace, ms (docs/protocol.md §12): at most one delta this often. Default: every batch.'),
  width: z
    .number()
    .int('must be a whole number of columns')
    .min(1, 'must be at least 1')
    .max(GRID_COLUMNS, `must be at most ${GRID_COLUMNS}`)
    .optional()
    .describe(`Grid columns the panel spans, 1 to ${GRID_COLUMNS} (default 4); a phone-width screen stacks every panel.`),
};

const aggregate = z.enum(['count', 'sum', 'avg', 'min', 'max']);

const stat = z
  .strictObject({
    kind: z.literal('stat'),
    ...base,
    field: fieldName.optional().describe('The field shown (not needed for aggregate "count").'),
    record: z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters').optional().describe('One record\'s value, by id; otherwise an aggregate over the records in view.'),
    aggregate: aggregate.optional().describe('Over the records in view (default "sum"); not with `record`.'),
    format: valueFormat.optional(),
    unit: unit.optional(),
    decimals: z.number().int('must be a whole number').min(0, 'must be at least 0').max(6, 'must be at most 6').optional().describe('Digits after the point.'),
    thresholds: thresholds.optional(),
    sparkline: z.boolean().optional().describe('Draw the field\'s series under the number, when the channel keeps one (default true).'),
  })
  .superRefine((panel, ctx) => {
    if (panel.record !== undefined && panel.aggregate !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['aggregate'], message: 'must be left out with "record" (one record\'s value is shown as it is)' });
    } else if (panel.field === undefined && panel.aggregate !== 'count') {
      ctx.addIssue({ code: 'custom', path: ['field'], message: 'is required (only aggregate "count" needs no field)' });
    }
  })
  .describe('One number: a record\'s field, or an aggregate over the records in view.');

const column = z.strictObject({
  field: fieldName.describe('The record field shown.'),
  label: z.string().max(L.titleLength, `must be at most ${L.titleLength} characters`).optional().describe('Header text; the field name when absent.'),
  format: z.enum(['text', 'number', 'percent', 'duration', 'timeAgo', 'status', 'bar']).optional().describe('How the cell is shown (default "text").'),
  max: z.number().positive('must be positive').optional().describe('For "bar": the value drawn as a full bar (default: the largest in view).'),
  thresholds: thresholds.optional(),
});

const table = z
  .strictObject({
    kind: z.literal('table'),
    ...base,
    columns: z.array(column).min(1, 'must have at least one column').max(L.columns, `must have at most ${L.columns} columns`),
    sort: z
      .strictObject({ field: fieldName, direction: z.enum(['asc', 'desc']).optional() })
      .optional()
      .describe('Initial sort (default: the records\' order); the viewer may sort by any column.'),
    limit: limit(L.rows).optional().describe('Rows shown (default 50); the rest are counted as "and N more".'),
  })
  .describe('Records as rows.');

const timeseries = z
  .strictObject({
    kind: z.literal('timeseries'),
    ...base,
    fields: z
      .array(fieldName)
      .min(1, 'must name at least one field')
      .max(L.timeseriesFields, `must name at most ${L.timeseriesFields} fields`)
      .superRefine(noRepeats)
      .describe('Fields the channel keeps series of (docs/configuration.md, "channels").'),
    aggregate: z.enum(['sum', 'avg', 'min', 'max']).optional().describe('One line per field aggregating the records in view per bucket; default one line per record and field.'),
    records: z
      .array(z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters'))
      .min(1, 'must name at least one record')
      .max(L.timeseriesRecords, `must name at most ${L.timeseriesRecords} records`)
      .optional()
      .describe('Only these records (ids); default every record in view.'),
    windowMs: z.number().int('must be a whole number of milliseconds').positive('must be positive').optional().describe('How far back, ms (default: all the channel keeps).'),
    format: valueFormat.optional(),
    unit: unit.optional(),
    thresholds: thresholds.optional(),
  })
  .describe('Lines over time, from the channel\'s series (docs/protocol.md §13).');

const map = z
  .strictObject({
    kind: z.literal('map'),
    ...base,
    latField: fieldName.optional().describe('Field holding the latitude (default "lat").'),
    lonField: fieldName.optional().describe('Field holding the longitude (default "lon").'),
    labelField: fieldName.optional().describe('Field shown as a record\'s name.'),
    colorBy: fieldName.optional().describe('Field whose value colours a point.'),
    colors: z
      .record(z.string().max(128, 'must be at most 128 characters'), tone)
      .refine((colors) => Object.keys(colors).length <= L.colors, `must have at most ${L.colors} values`)
      .optional()
      .describe('Tones for values of `colorBy` ({"online": "ok"}).'),
    followBounds: z.boolean().optional().describe('Let the viewer pick the visible region; the view\'s bounds filter follows it (default true).'),
  })
  .describe('Records with a position on a world map.');

const barlist = z
  .strictObject({
    kind: z.literal('barlist'),
    ...base,
    groupBy: fieldName.describe('The field records are grouped by.'),
    aggregate: z.enum(['count', 'sum']).optional().describe('"count" (default) or "sum" of `field`.'),
    field: fieldName.optional().describe('The field summed (with aggregate "sum").'),
    limit: limit(L.bars).optional().describe('Bars shown, largest first (default 10).'),
    format: valueFormat.optional(),
  })
  .superRefine((panel, ctx) => {
    if (panel.aggregate === 'sum' && panel.field === undefined) ctx.addIssue({ code: 'custom', path: ['field'], message: 'is required with aggregate "sum"' });
  })
  .describe('Records grouped by a field, with counts or sums.');

const events = z
  .strictObject({
    kind: z.literal('events'),
    ...base,
    minPriority: z.enum(PRIORITIES).optional().describe('Lowest priority shown (also the view\'s minPriority).'),
    limit: limit(L.rows).optional().describe('Events kept on screen (default 50).'),
    toasts: z.boolean().optional().describe('Toast critical events (default true).'),
  })
  .describe('The channel\'s events, newest first.');

const alerts = z
  .strictObject({
    kind: z.literal('alerts'),
    ...base,
    showResolved: z.boolean().optional().describe('Show resolved alerts too (default false).'),
    limit: limit(L.rows).optional().describe('Rows shown (default 50).'),
  })
  .describe('Records that are alerts, with their lifecycle: open, acknowledged, resolved or escalated.');

/** Every panel kind, by `kind`. */
export const PANEL_KINDS = ['stat', 'table', 'timeseries', 'map', 'barlist', 'events', 'alerts'] as const;

export const panelSchema = z.discriminatedUnion('kind', [stat, table, timeseries, map, barlist, events, alerts]);

export const dashboardSchema = z
  .strictObject({
    slug: z
      .string()
      .regex(DASHBOARD_SLUG, 'must be 1 to 64 of a-z 0-9 and -')
      .describe('The page\'s address, /d/<slug>: lower-case letters, digits and dashes.'),
    title,
    description: z.string().max(L.descriptionLength, `must be at most ${L.descriptionLength} characters`).optional().describe('Shown under the title and on /d.'),
    tenant: z.string().regex(TENANT_ID, `must match ${TENANT_ID.source}`).describe('Whose data it shows: only viewers of this tenant see the dashboard.'),
    panels: z
      .array(panelSchema)
      .min(1, 'must have at least one panel')
      .max(L.panelsPerDashboard, `must have at most ${L.panelsPerDashboard} panels`)
      .describe(`The grid of panels, in reading order (${GRID_COLUMNS} columns).`),
  })
  .describe('A page at /d/<slug>.');

/** The section: slugs are unique, since each names one page. */
export const dashboardsSchema = z
  .array(dashboardSchema)
  .max(L.dashboards, `must declare at most ${L.dashboards} dashboards`)
  .superRefine((dashboards, ctx) => {
    const seen = new Map<string, number>();
    dashboards.forEach(({ slug }, index) => {
      const first = seen.get(slug);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'slug'], message: `used twice (first at dashboards[${first}])` });
      else seen.set(slug, index);
    });
  })
  .describe('Dashboards served at /d/<slug>, each a grid of panels over its tenant\'s channels (docs/dashboards.md).');

function noRepeats(values: string[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  values.forEach((value, index) => {
    const first = seen.get(value);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index], message: `repeats [${first}]` });
    else seen.set(value, index);
  });
}

// The schema's output is the contract the panels are written against: a change to either that
// breaks the other fails to compile here.
type Parsed = z.output<typeof dashboardsSchema>;
const _parsedIsSpec = (parsed: Parsed): DashboardSpec[] => parsed;
void _parsedIsSpec;
