/**
 * The Redis engine's Lua scripts (docs/scaling.md, "The publish script"). Each runs
 * atomically in Redis; ioredis loads them once and runs them by SHA (EVALSHA, falling back to
 * EVAL after a Redis restart forgot them).
 *
 * JSON stays text inside Redis. Redis's cjson keeps only 14 significant digits and cannot
 * tell `[]` from `{}`, so the scripts never decode values: merge patches descend only into
 * objects, and every other value (numbers, strings, arrays) is carried as the exact text the
 * hub wrote with `JSON.stringify`, whose output is canonical. Two values are equal exactly when
 * their texts are.
 */

/**
 * Shared helpers: the history lineage and the clock. Each channel has its own epoch in its
 * meta hash, set by its first publish. Until then a channel answers with the base epoch (one
 * per Redis dataset, made when first needed), and its first publish takes that one over, so a
 * subscriber that saw the empty channel continues without a gap. A Redis that lost everything
 * has lost the base epoch too, so every channel comes back under a new one.
 */
const COMMON = `
local function base_epoch(key, candidate)
  local epoch = redis.call('GET', key)
  if not epoch then
    epoch = candidate
    redis.call('SET', key, epoch)
  end
  return epoch
end

local function channel_epoch(meta, base, candidate)
  return redis.call('HGET', meta, 'epoch') or base_epoch(base, candidate)
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Highest seq whose publish has left the history window (positions below it cannot be answered).
local function floor_seq(history, seq, cutoff)
  local first = redis.call('XRANGE', history, cutoff, '+', 'COUNT', 1)
  if #first == 0 then return seq end
  return tonumber(first[1][2][2]) - 1
end
`;

/** RFC 7386 on JSON text, descending only into objects (see the file comment). */
const MERGE_PATCH = `
local function string_end(s, i)
  local j = i + 1
  while true do
    local q = string.find(s, '["\\\\]', j)
    if not q then error('unterminated string') end
    if string.byte(s, q) == 92 then j = q + 2 else return q + 1 end
  end
end

local function value_end(s, i)
  local c = string.byte(s, i)
  if c == 34 then return string_end(s, i) end
  if c == 123 or c == 91 then
    local depth, j = 0, i
    while true do
      local k = string.find(s, '[%[%]{}"]', j)
      if not k then error('unterminated value') end
      local b = string.byte(s, k)
      if b == 34 then
        j = string_end(s, k)
      else
        j = k + 1
        if b == 123 or b == 91 then
          depth = depth + 1
        else
          depth = depth - 1
          if depth == 0 then return j end
        end
      end
    end
  end
  return string.find(s, '[,}%]]', i) or (#s + 1)
end

local function is_object(s)
  return s ~= nil and string.byte(s, 1) == 123
end

-- An object's members in order: keys (quoted JSON text) and their values (JSON text).
local function members(s)
  local keys, values = {}, {}
  local i = 2
  if string.byte(s, i) == 125 then return keys, values end
  while true do
    local key_end = string_end(s, i)
    local key = string.sub(s, i, key_end - 1)
    local vend = value_end(s, key_end + 1)
    keys[#keys + 1] = key
    values[key] = string.sub(s, key_end + 1, vend - 1)
    if string.byte(s, vend) == 125 then return keys, values end
    i = vend + 1
  end
end

local function merge(target, patch)
  if not is_object(patch) then return patch end
  local keys, values = {}, {}
  if is_object(target) then keys, values = members(target) end
  local patch_keys, patch_values = members(patch)
  for _, key in ipairs(patch_keys) do
    local value = patch_values[key]
    if value == 'null' then
      values[key] = nil
    else
      if values[key] == nil then keys[#keys + 1] = key end
      values[key] = merge(values[key], value)
    end
  end
  local parts = {}
  for _, key in ipairs(keys) do
    local value = values[key]
    if value ~= nil then parts[#parts + 1] = key .. ':' .. value end
  end
  return '{' .. table.concat(parts, ',') .. '}'
end
`;

/**
 * One publish. KEYS: base epoch, meta, records, live, tombstones, history, tenant channels.
 * ARGV: epoch candidate, known epoch, known seq, history size, history TTL ms, commits
 * pub/sub channel, channel name, then the upserts (count, then id JSON and patch JSON
 * pairs), the deletions (count, then id JSON), the events (count, then each event's JSON
 * without its opening brace, so seq and ts go first). Returns the commit as JSON text, which
 * it also publishes.
 *
 * "Known" is the highest position this instance saw on the channel: the same epoch at a lower
 * seq in Redis means Redis lost history (restored from an older snapshot), so the channel
 * gets a new epoch instead of a seq being used twice. So does a channel the tenant's channel
 * set names but whose state is gone.
 */
export const PUBLISH_SCRIPT = `${COMMON}${MERGE_PATCH}
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  if redis.call('SISMEMBER', KEYS[7], ARGV[7]) == 1 then epoch = ARGV[1] else epoch = base_epoch(KEYS[1], ARGV[1]) end
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
if ARGV[2] == epoch and seq < tonumber(ARGV[3]) then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
seq = seq + 1
local ts = now_ms()
local changes = {}
local a = 9
for _ = 1, tonumber(ARGV[8]) do
  local id, patch = ARGV[a], ARGV[a + 1]
  a = a + 2
  local before = redis.call('HGET', KEYS[3], id) or nil
  local after = merge(before, patch)
  if after ~= before then
    redis.call('HSET', KEYS[3], id, after)
    redis.call('ZADD', KEYS[4], seq, id)
    redis.call('ZREM', KEYS[5], id)
    changes[#changes + 1] = '{"id":' .. id .. (before and (',"before":' .. before) or '') .. ',"after":' .. after .. '}'
  end
end
local deletions = tonumber(ARGV[a])
a = a + 1
for _ = 1, deletions do
  local id = ARGV[a]
  a = a + 1
  local before = redis.call('HGET', KEYS[3], id)
  if before then
    redis.call('HDEL', KEYS[3], id)
    redis.call('ZREM', KEYS[4], id)
    redis.call('ZADD', KEYS[5], seq, id)
    changes[#changes + 1] = '{"id":' .. id .. ',"before":' .. before .. '}'
  end
end
local events = {}
local count = tonumber(ARGV[a])
a = a + 1
for _ = 1, count do
  events[#events + 1] = '{"seq":' .. seq .. ',"ts":' .. ts .. ',' .. ARGV[a]
  a = a + 1
end
local events_json = '[' .. table.concat(events, ',') .. ']'

redis.call('HSET', KEYS[2], 'seq', seq)
redis.call('SADD', KEYS[7], ARGV[7])
redis.call('XADD', KEYS[6], 'MAXLEN', ARGV[4], '*', 's', seq, 'e', events_json)
local cutoff = ts - tonumber(ARGV[5])
redis.call('XTRIM', KEYS[6], 'MINID', cutoff)
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', floor_seq(KEYS[6], seq, cutoff))

local commit = '{"epoch":"' .. epoch .. '","seq":' .. seq .. ',"ts":' .. ts
  .. ',"changes":[' .. table.concat(changes, ',') .. '],"events":' .. events_json .. '}'
redis.call('PUBLISH', ARGV[6], commit)
return commit
`;

/**
 * A channel's state. KEYS: base epoch, meta, records, history. ARGV: epoch candidate,
 * history TTL ms. Returns { epoch, seq, record JSON texts, event-array JSON texts }.
 */
export const SNAPSHOT_SCRIPT = `${COMMON}
local epoch = channel_epoch(KEYS[2], KEYS[1], ARGV[1])
local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
local records = redis.call('HVALS', KEYS[3])
local events = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[4], now_ms() - tonumber(ARGV[2]), '+')) do
  if entry[2][4] ~= '[]' then events[#events + 1] = entry[2][4] end
end
return { epoch, seq, records, events }
`;

/**
 * What changed after a position. KEYS: base epoch, meta, records, live, tombstones, history.
 * ARGV: epoch candidate, history TTL ms, position epoch, position seq. Returns
 * { 0, epoch, seq } when the position cannot be answered exactly, else
 * { 1, epoch, seq, record JSON texts, deleted id JSON texts, event-array JSON texts }.
 */
export const SINCE_SCRIPT = `${COMMON}
local epoch = channel_epoch(KEYS[2], KEYS[1], ARGV[1])
local seq = tonumber(redis.call('HGET', KEYS[2], 'seq') or '0')
local from = tonumber(ARGV[4])
if ARGV[3] ~= epoch or from > seq then return { 0, epoch, seq } end
if from < floor_seq(KEYS[6], seq, now_ms() - tonumber(ARGV[2])) then return { 0, epoch, seq } end
local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '(' .. from, '+inf')
local records = {}
for i = 1, #ids, 500 do
  for _, record in ipairs(redis.call('HMGET', KEYS[3], unpack(ids, i, math.min(i + 499, #ids)))) do
    records[#records + 1] = record
  end
end
local deleted = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. from, '+inf')
local events = {}
if seq > from then
  local entries = redis.call('XREVRANGE', KEYS[6], '+', '-', 'COUNT', seq - from)
  for i = #entries, 1, -1 do
    if entries[i][2][4] ~= '[]' then events[#events + 1] = entries[i][2][4] end
  end
end
return { 1, epoch, seq, records, deleted, events }
`;

/**
 * Where channels are now, for a reconnect or a periodic check. KEYS: base epoch, then one
 * meta key per channel. ARGV: epoch candidate, then the known epoch and seq of each channel.
 * A channel behind what this instance saw under the same epoch (history lost) gets a new
 * epoch. Returns { epochs, seqs }, one of each per channel.
 */
export const POSITIONS_SCRIPT = `${COMMON}
local epochs, seqs = {}, {}
for i = 2, #KEYS do
  local epoch = channel_epoch(KEYS[i], KEYS[1], ARGV[1])
  local seq = tonumber(redis.call('HGET', KEYS[i], 'seq') or '0')
  if ARGV[2 * i - 2] == epoch and seq < tonumber(ARGV[2 * i - 1]) then
    epoch = ARGV[1] .. '.' .. (i - 1)
    redis.call('HSET', KEYS[i], 'epoch', epoch)
  end
  epochs[#epochs + 1] = epoch
  seqs[#seqs + 1] = seq
end
return { epochs, seqs }
`;

/**
 * Admits one connection of a tenant if the cluster is under the limit. KEYS: the tenant's
 * connection hash. ARGV: this instance's id, the limit, the instance key prefix. Counts only
 * instances whose heartbeat key still exists (and forgets the others).
 */
export const ADMIT_SCRIPT = `
local total = 0
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local id, count = fields[i], tonumber(fields[i + 1])
  if id == ARGV[1] or redis.call('EXISTS', ARGV[3] .. id) == 1 then
    total = total + count
  else
    redis.call('HDEL', KEYS[1], id)
  end
end
if total >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
`;
