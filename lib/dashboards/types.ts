/**
 * Dashboards and their panels (docs/dashboards.md): the shape the configuration file's
 * `dashboards` section declares, and the props of the exported panel components
 * (`components/panels`), which are the same objects. A panel is a view of one channel
 * (docs/protocol.md §12): its `filter` and `intervalMs` say which, so two panels of one channel
 * are two views on one connection. Pure types, browser-safe.
 */
import type { Filter } from '../protocol/filter';
import type { Priority } from '../protocol/messages';

/** How a number is shown. */
export type ValueFormat = 'number' | 'percent' | 'duration' | 'bytes';

/** What colours a value: the tone of the highest threshold it reaches. */
export type Tone = 'ok' | 'warn' | 'bad' | 'info';

/** A value at or above `value` takes `tone` (thresholds are read in ascending `value`). */
export interface Threshold {
  value: number;
  tone: Tone;
}

/** A statistic over the records in view, per bucket for series. */
export type Aggregate = 'count' | 'sum' | 'avg' | 'min' | 'max';

/** What every panel has: where its data comes from and where it sits on the grid. */
export interface PanelBase {
  /** Heading of the panel. */
  title: string;
  /** The channel it is a view of (the dashboard's tenant). */
  channel: string;
  /** The view's filter (docs/protocol.md §6), validated as a subscribe's is. */
  filter?: Filter;
  /** The view's pace (docs/protocol.md §12), ms. */
  intervalMs?: number;
  /** Grid columns it spans, 1–12 (default 4); a phone-width screen stacks every panel. */
  width?: number;
}

/** One number: a record's field, or an aggregate over the records in view. */
export interface StatPanelSpec extends PanelBase {
  kind: 'stat';
  /** The field shown (not needed for `count`). */
  field?: string;
  /** One record's value (by id); otherwise `aggregate` over the records in view. */
  record?: string;
  /** Default `sum`, or the value itself when `record` is set. */
  aggregate?: Aggregate;
  format?: ValueFormat;
  /** Shown after the number ("ms", "nodes"). */
  unit?: string;
  decimals?: number;
  thresholds?: Threshold[];
  /** Draw the field's series (when the channel keeps one) under the number, with the change over its window. Default true. */
  sparkline?: boolean;
}

/** How a table cell is shown. */
export type ColumnFormat = 'text' | 'number' | 'percent' | 'duration' | 'timeAgo' | 'status' | 'bar';

export interface TableColumn {
  field: string;
  /** Header text; the field name when absent. */
  label?: string;
  format?: ColumnFormat;
  /** For `bar`: the value drawn as a full bar (default: the largest in view). */
  max?: number;
  thresholds?: Threshold[];
}

/** Records as rows. */
export interface TablePanelSpec extends PanelBase {
  kind: 'table';
  columns: TableColumn[];
  /** Initial sort; the viewer may sort by any column. Default: the records' order. */
  sort?: { field: string; direction?: 'asc' | 'desc' };
  /** Rows shown; the rest are counted as "and N more". Default 50. */
  limit?: number;
}

/** Lines over time, from the channel's series (docs/protocol.md §13). */
export interface TimeSeriesPanelSpec extends PanelBase {
  kind: 'timeseries';
  /** Kept fields drawn. */
  fields: string[];
  /** One line per record and field; or, when set, one line per field aggregating the records in view per bucket. */
  aggregate?: Exclude<Aggregate, 'count'>;
  /** Only these records (ids); default every record in view. */
  records?: string[];
  /** How far back, ms (default: all the channel keeps). */
  windowMs?: number;
  format?: ValueFormat;
  unit?: string;
  thresholds?: Threshold[];
}

/** Records with a position on a world map. */
export interface MapPanelSpec extends PanelBase {
  kind: 'map';
  /** Field holding the latitude (default `lat`) and longitude (default `lon`). */
  latField?: string;
  lonField?: string;
  /** Field shown as a record's name. */
  labelField?: string;
  /** Field whose value colours a point (a status, say). */
  colorBy?: string;
  /** Tones for values of `colorBy` ("online": "ok"). */
  colors?: Record<string, Tone>;
  /** Let the viewer pick the visible region; the view's `bounds` filter follows it. Default true. */
  followBounds?: boolean;
}

/** Records grouped by a field. */
export interface BarListPanelSpec extends PanelBase {
  kind: 'barlist';
  groupBy: string;
  /** `count` (default) or `sum` of `field`. */
  aggregate?: 'count' | 'sum';
  field?: string;
  /** Bars shown, largest first. Default 10. */
  limit?: number;
  format?: ValueFormat;
}

/** The channel's events, newest first. */
export interface EventsPanelSpec extends PanelBase {
  kind: 'events';
  /** Lowest priority shown (also sent as the view's `minPriority`). */
  minPriority?: Priority;
  /** Events kept on screen. Default 50. */
  limit?: number;
  /** Toast critical events. Default true. */
  toasts?: boolean;
}

/** Records that are alerts, with their lifecycle (open → acknowledged → resolved, or escalated). */
export interface AlertsPanelSpec extends PanelBase {
  kind: 'alerts';
  /** Show resolved alerts too. Default false. */
  showResolved?: boolean;
  /** Rows shown. Default 50. */
  limit?: number;
}

export type PanelSpec =
  | StatPanelSpec
  | TablePanelSpec
  | TimeSeriesPanelSpec
  | MapPanelSpec
  | BarListPanelSpec
  | EventsPanelSpec
  | AlertsPanelSpec;

export type PanelKind = PanelSpec['kind'];

/** A page at `/d/<slug>`. */
export interface DashboardSpec {
  /** URL segment: lower-case letters, digits and dashes. */
  slug: string;
  title: string;
  description?: string;
  /** Whose data it shows: a viewer must belong to this tenant (anonymous viewers: `PULSE_DASHBOARD_TENANT`). */
  tenant: string;
  panels: PanelSpec[];
}

/**
 * Alert records (docs/dashboards.md, "Alerts"): the fields an alerts panel reads and an action
 * writes as a merge patch.
 */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'escalated';

export interface AlertRecordFields {
  status: AlertStatus;
  title: string;
  priority?: Priority;
  /** When it opened, ms. */
  openedAt?: number;
  /** Who acted last and when (ms), set by the action. */
  acknowledgedBy?: string;
  acknowledgedAt?: number;
  resolvedBy?: string;
  resolvedAt?: number;
  escalatedBy?: string;
  escalatedAt?: number;
}
