/**
 * Which channels keep series (docs/protocol.md §13) and how: the server's `channels`
 * configuration (docs/configuration.md) as the engines read it. Pure and free of Node and of
 * validation: the configuration file is checked where it is read (`lib/server/config-file.ts`),
 * and what arrives here is already valid.
 */
import { compilePatterns, type ChannelPredicate } from '../protocol/patterns';

/** The bounds a series declaration must keep (docs/configuration.md, "channels"). */
export const SERIES_LIMITS = {
  /** Narrowest bucket, ms. */
  minResolutionMs: 100,
  /** Widest bucket, ms (a day). */
  maxResolutionMs: 86_400_000,
  /** Most buckets in a window: `windowMs / resolutionMs`. */
  maxBuckets: 10_000,
  /** Most fields one declaration keeps. */
  maxFields: 100,
} as const;

/** What a channel keeps: the numeric record fields, the bucket width and how far back. */
export interface SeriesSpec {
  /** Record fields kept, in the order declared. */
  readonly fields: readonly string[];
  /** Bucket width, ms: at least 100. */
  readonly resolutionMs: number;
  /** How far back, ms: a multiple of `resolutionMs`, at most 10,000 buckets. */
  readonly windowMs: number;
}

/** One entry of the `channels` configuration. */
export interface ChannelDeclaration {
  /** A channel name, or a pattern where `*` matches any run of characters (as in tokens). */
  readonly channel: string;
  /** The tenant it applies to; every tenant when absent. */
  readonly tenant?: string;
  readonly series: SeriesSpec;
}

/** Answers which series a tenant's channel keeps. What the engines receive as `series`. */
export interface SeriesLookup {
  /**
   * The series `channel` of `tenant` keeps, or `undefined` when it keeps none. The same
   * answer for the same arguments for the lifetime of the lookup (it is built once, at start-up).
   *
   * @example
   * const lookup = seriesLookup([{ channel: 'kpi', series: { fields: ['waiting'], resolutionMs: 1000, windowMs: 900_000 } }]);
   * lookup.seriesFor('demo', 'kpi')    // → { fields: ['waiting'], resolutionMs: 1000, windowMs: 900000 }
   * lookup.seriesFor('demo', 'fleet')  // → undefined
   */
  seriesFor(tenant: string, channel: string): SeriesSpec | undefined;
}

/** No channel keeps series. */
export const NO_SERIES: SeriesLookup = { seriesFor: () => undefined };

/** Buckets in a spec's window. */
export function bucketCount(spec: Pick<SeriesSpec, 'resolutionMs' | 'windowMs'>): number {
  return spec.windowMs / spec.resolutionMs;
}

/** A channel field of a declaration that contains `*` is a pattern; any other is one name. */
export function isChannelPattern(channel: string): boolean {
  return channel.includes('*');
}

interface PatternEntry {
  readonly matches: ChannelPredicate;
  readonly series: SeriesSpec;
}

/** One layer of declarations, indexed for the precedence `seriesLookup` documents. */
class Layer {
  /** `tenant/channel` → spec, for exact names with a tenant. */
  private readonly exactForTenant = new Map<string, SeriesSpec>();
  /** channel → spec, for exact names for every tenant. */
  private readonly exactForAll = new Map<string, SeriesSpec>();
  private readonly patternsForTenant = new Map<string, PatternEntry[]>();
  private readonly patternsForAll: PatternEntry[] = [];

  constructor(declarations: readonly ChannelDeclaration[]) {
    for (const { channel, tenant, series } of declarations) {
      if (!isChannelPattern(channel)) {
        // The first of two identical declarations wins (the configuration file refuses them).
        if (tenant === undefined) setOnce(this.exactForAll, channel, series);
        else setOnce(this.exactForTenant, `${tenant}/${channel}`, series);
        continue;
      }
      const entry = { matches: compilePatterns([channel]), series };
      if (tenant === undefined) this.patternsForAll.push(entry);
      else {
        const list = this.patternsForTenant.get(tenant) ?? [];
        list.push(entry);
        this.patternsForTenant.set(tenant, list);
      }
    }
  }

  find(tenant: string, channel: string): SeriesSpec | undefined {
    return (
      this.exactForTenant.get(`${tenant}/${channel}`) ??
      this.exactForAll.get(channel) ??
      firstMatch(this.patternsForTenant.get(tenant), channel) ??
      firstMatch(this.patternsForAll, channel)
    );
  }
}

function setOnce(map: Map<string, SeriesSpec>, key: string, series: SeriesSpec): void {
  if (!map.has(key)) map.set(key, series);
}

function firstMatch(entries: readonly PatternEntry[] | undefined, channel: string): SeriesSpec | undefined {
  if (!entries) return undefined;
  for (const entry of entries) if (entry.matches(channel)) return entry.series;
  return undefined;
}

/**
 * Builds the lookup from layers of declarations: the first layer that has an entry for a
 * channel decides, so a later layer only fills in channels the earlier ones do not mention
 * (the server passes the configuration file's `channels`, then the demo's own declarations).
 *
 * Within a layer the most specific entry wins, whatever the order in the file:
 * 1. the exact channel name for that tenant;
 * 2. the exact channel name for every tenant;
 * 3. a pattern for that tenant (the first that matches, in file order);
 * 4. a pattern for every tenant (the first that matches, in file order).
 */
export function seriesLookup(...layers: readonly (readonly ChannelDeclaration[])[]): SeriesLookup {
  const built = layers.filter((declarations) => declarations.length > 0).map((declarations) => new Layer(declarations));
  if (built.length === 0) return NO_SERIES;
  return {
    seriesFor(tenant, channel) {
      for (const layer of built) {
        const found = layer.find(tenant, channel);
        if (found) return found;
      }
      return undefined;
    },
  };
}
