/**
 * Where the Redis backend (engine, cluster, presence) keeps things (docs/scaling.md, "Keys").
 * Every key of one channel shares the hash tag `{tenant/channel}`, so a channel's keys live in
 * one slot. An instance is alive exactly while its `instance:{id}` key exists; `RedisCluster`
 * (and the admission script it runs) is the only reader of that answer.
 *
 *   {prefix}epoch                      string  the base epoch: what a channel never published to answers with
 *   {prefix}{tenant/channel}:meta      hash    seq, epoch (the channel's lineage, set by its first publish), hbytes (bytes of the history's events),
 *                                              sspec, sgen, sclean, sbucket (the series' spec, its generation, the oldest generation left to
 *                                              clear, the bucket of the last publish)
 *   {prefix}{tenant/channel}:rec       hash    JSON id → record JSON
 *   {prefix}{tenant/channel}:live      zset    JSON id → seq of its last change
 *   {prefix}{tenant/channel}:tomb      zset    JSON id → seq of its deletion (inside the history window)
 *   {prefix}{tenant/channel}:hist      stream  one entry per publish: s (seq), e (events JSON)
 *   {prefix}{tenant/channel}:commits   pub/sub every commit, for the other instances
 *   {prefix}{tenant/channel}:s:{gen}   zset    the series index: record id JSON → +inf, or the bucket its series ended (all null) in
 *   {prefix}{tenant/channel}:s:{gen}:{id JSON}  string  one record's series: a 32-byte header and its ring of packed doubles
 *   {prefix}series-points              string  series points reserved in this Redis (PULSE_SERIES_MAX_POINTS)
 *   {prefix}channels:{tenant}          set     the tenant's channel names
 *   {prefix}instances                  zset    instance id → heartbeat deadline (index only)
 *   {prefix}instance:{id}              string  the instance's heartbeat (JSON), expires when it stops
 *   {prefix}tenant-connections:{tenant} hash   instance id → connections of the tenant there
 *   {prefix}control                    pub/sub requests between instances (kick)
 *   {prefix}{tenant/channel}:presence  hash    instance|user → that instance's share of the user (JSON)
 *   {prefix}presence                   pub/sub every instance's presence changes
 */
import { channelKey } from '../protocol/channel';

export interface ChannelKeys {
  meta: string;
  records: string;
  live: string;
  tombstones: string;
  history: string;
  /** Pub/sub channel carrying the channel's commits. */
  commits: string;
  /**
   * Where the channel's series keys begin: the scripts append the generation for the index
   * (`…:s:3`) and `:` plus a record id's JSON for a record's ring (`…:s:3:"q1"`). The
   * generation changes with the channel's series spec, so a ring is always read with the
   * layout it was written with.
   */
  series: string;
}

export class KeyLayout {
  constructor(readonly prefix: string) {}

  get epoch(): string {
    return `${this.prefix}epoch`;
  }

  channel(tenant: string, channel: string): ChannelKeys {
    const base = `${this.prefix}{${channelKey(tenant, channel)}}`;
    return {
      meta: `${base}:meta`,
      records: `${base}:rec`,
      live: `${base}:live`,
      tombstones: `${base}:tomb`,
      history: `${base}:hist`,
      commits: `${base}:commits`,
      series: `${base}:s:`,
    };
  }

  /** Series points reserved by every channel's rings (`PULSE_SERIES_MAX_POINTS` holds per Redis). */
  get seriesPoints(): string {
    return `${this.prefix}series-points`;
  }

  tenantChannels(tenant: string): string {
    return `${this.prefix}channels:${tenant}`;
  }

  get instances(): string {
    return `${this.prefix}instances`;
  }

  instance(id: string): string {
    return `${this.prefix}instance:${id}`;
  }

  tenantConnections(tenant: string): string {
    return `${this.prefix}tenant-connections:${tenant}`;
  }

  get control(): string {
    return `${this.prefix}control`;
  }

  /** The pub/sub channel carrying every instance's presence changes. */
  get presence(): string {
    return `${this.prefix}presence`;
  }

  /** A channel's presence hash (`instance|user` → share), from the channel key (`tenant/channel`). */
  presenceOf(channelKey: string): string {
    return `${this.prefix}{${channelKey}}:presence`;
  }
}
