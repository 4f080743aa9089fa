/**
 * The Lua scripts of the Redis engine and cluster (docs/scaling.md, "The publish script").
 * Each runs atomically in Redis; ioredis loads them once and runs them by SHA (EVALSHA, falling
 * back to EVAL after a Redis restart forgot them).
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

/**
 * RFC 7386 on JSON text, descending only into objects (see the file comment), in one pass.
 *
 * The patch (small, usually) is read into a tree of its objects, whose leaves are the texts of
 * its other values. The stored record is never read into a tree: one scan over its text copies
 * every member the patch does not name, descends into the objects the patch merges into, and
 * writes the patch's values in place of the others, then appends the members it lacked. Arrays
 * and strings are scanned once to find where they end. So a merge costs time in proportion to
 * the sizes of the stored record and the patch, whatever their nesting: a descent that
 * rescanned each nested value at every level would cost size × depth, and a slow script
 * blocks Redis for every tenant.
 *
 * Values nested deeper than the protocol allows (docs/protocol.md, `JSON_LIMITS`) are refused
 * with a `refusal` error, raised before anything is written.
 */
const MERGE_PATCH = `
local byte, find, sub = string.byte, string.find, string.sub
local max_depth = 32

local function refuse(message)
  error({ refusal = message }, 0)
end

-- \`where\` and \`n\` name the value (\`string.format\`), made into text only for a refusal.
local function too_deep(where, n)
  refuse(string.format(where, n) .. ' is nested deeper than ' .. max_depth .. ' levels')
end

-- Position just past the string whose opening quote is at i.
local function string_end(s, i)
  local j = i + 1
  while true do
    local q = find(s, '["\\\\]', j)
    if not q then error('unterminated string') end
    if byte(s, q) == 92 then j = q + 2 else return q + 1 end
  end
end

-- Position just past the array or object opening at i, a value at nesting depth \`depth\`
-- (a record itself is at depth 1). One scan, counting brackets outside strings.
local function container_end(s, i, depth, where, n)
  local level, j = 0, i
  while true do
    local k = find(s, '[%[%]{}"]', j)
    if not k then error('unterminated value') end
    local b = byte(s, k)
    if b == 34 then
      j = string_end(s, k)
    else
      j = k + 1
      if b == 123 or b == 91 then
        level = level + 1
        if depth + level - 1 > max_depth then too_deep(where, n) end
      else
        level = level - 1
        if level == 0 then return j end
      end
    end
  end
end

-- Position just past the value starting at i.
local function value_end(s, i, depth, where, n)
  local c = byte(s, i)
  if c == 34 then return string_end(s, i) end
  if c == 123 or c == 91 then return container_end(s, i, depth, where, n) end
  local k = find(s, '[,}%]]', i)
  if k == i then error('missing value') end
  return k or (#s + 1)
end

-- A patch: the object opening at i, at nesting depth \`depth\`, and the position just past it.
-- Its members are keys in order (quoted JSON text, as written) and values by key (a node for
-- an object, the JSON text of anything else).
local function read_patch(s, i, depth, where, n)
  if depth > max_depth then too_deep(where, n) end
  local node = { keys = {}, values = {} }
  local j = i + 1
  if byte(s, j) == 125 then return node, j + 1 end
  while true do
    if byte(s, j) ~= 34 then error('malformed object') end
    local key_end = string_end(s, j)
    if byte(s, key_end) ~= 58 then error('malformed object') end
    local key = sub(s, j, key_end - 1)
    local v = key_end + 1
    local value, after
    if byte(s, v) == 123 then
      value, after = read_patch(s, v, depth + 1, where, n)
    else
      after = value_end(s, v, depth + 1, where, n)
      value = sub(s, v, after - 1)
    end
    if node.values[key] == nil then node.keys[#node.keys + 1] = key end
    node.values[key] = value
    local c = byte(s, after)
    if c == 125 then return node, after + 1 end
    if c ~= 44 then error('malformed object') end
    j = after + 1
  end
end

-- Writes what a patch value makes of a missing member: the value, objects without their nulls.
local function write_new(value, out)
  if type(value) ~= 'table' then
    out[#out + 1] = value
    return
  end
  out[#out + 1] = '{'
  local first = true
  for _, key in ipairs(value.keys) do
    local member = value.values[key]
    if member ~= 'null' then
      out[#out + 1] = first and key or (',' .. key)
      out[#out + 1] = ':'
      write_new(member, out)
      first = false
    end
  end
  out[#out + 1] = '}'
end

-- Writes the merge of \`patch\` (a node) into the object opening at s[i], at nesting depth
-- \`depth\`. Returns the position just past that object, and whether anything changed.
local function merge_into(s, i, depth, patch, out, where, n)
  if depth > max_depth then too_deep(where, n) end
  local named, changed, first = {}, false, true
  out[#out + 1] = '{'
  local j = i + 1
  if byte(s, j) ~= 125 then
    while true do
      if byte(s, j) ~= 34 then error('malformed object') end
      local key_end = string_end(s, j)
      if byte(s, key_end) ~= 58 then error('malformed object') end
      local key = sub(s, j, key_end - 1)
      local v = key_end + 1
      local value = patch.values[key]
      local after
      if value == nil then
        after = value_end(s, v, depth + 1, where, n)
        if not first then out[#out + 1] = ',' end
        out[#out + 1] = sub(s, j, after - 1)
        first = false
      else
        named[key] = true
        if value == 'null' then
          after = value_end(s, v, depth + 1, where, n)
          changed = true
        else
          if not first then out[#out + 1] = ',' end
          out[#out + 1] = key
          out[#out + 1] = ':'
          first = false
          if type(value) == 'table' and byte(s, v) == 123 then
            local inner_changed
            after, inner_changed = merge_into(s, v, depth + 1, value, out, where, n)
            changed = changed or inner_changed
          else
            after = value_end(s, v, depth + 1, where, n)
            write_new(value, out)
            if type(value) == 'table' or value ~= sub(s, v, after - 1) then changed = true end
          end
        end
      end
      local c = byte(s, after)
      if c == 125 then
        j = after
        break
      end
      if c ~= 44 then error('malformed object') end
      j = after + 1
    end
  end
  for _, key in ipairs(patch.keys) do
    local value = patch.values[key]
    if not named[key] and value ~= 'null' then
      out[#out + 1] = first and key or (',' .. key)
      out[#out + 1] = ':'
      write_new(value, out)
      first = false
      changed = true
    end
  end
  out[#out + 1] = '}'
  return j + 1, changed
end

-- The merge of the upsert at \`index\` (JSON text of an object) into the stored record \`id\`
-- (JSON text of an object, or nil): the record's new text, or nil when nothing changes; and
-- the patch, read (a node, see read_patch).
local function merge(before, patch_text, index, id)
  if byte(patch_text, 1) ~= 123 then error('patch is not an object') end
  local patch, after = read_patch(patch_text, 1, 1, 'upsert[%d]', index)
  if after ~= #patch_text + 1 then error('trailing characters') end
  local out = {}
  if not before then
    write_new(patch, out)
    return table.concat(out), patch
  end
  local finish, changed = merge_into(before, 1, 1, patch, out, 'the stored record %s', id)
  if finish ~= #before + 1 then error('trailing characters') end
  if changed then return table.concat(out), patch end
  return nil, patch
end
`;

/**
 * Series (docs/scaling.md, "Series"): each record's ring in a string, the layout of
 * lib/engine/series.ts with the head's row kept apart: a header of four little-endian doubles
 * (first bucket, capacity, fields, head bucket), the head bucket's row, then \`capacity\` slots
 * holding the rows of the buckets before the head, the row of bucket b at slot
 * (b - first) mod capacity. A row is one double per field, NaN for null. A write in the head's
 * bucket rewrites the head's row alone; a write in a later bucket first copies the head's row
 * into the slots of the buckets it leaves behind.
 *
 * A publish finds a record's new values without reading its JSON: a kept field the patch
 * names takes the patch's value (a number, or null for anything else), the others keep the
 * values of the ring's head row. Only a stored record that has no ring yet and whose patch
 * names some of the kept fields is read (its top-level members). Numbers are converted once,
 * from the canonical text the hub wrote.
 */
const SERIES = `
local NULL_POINT = string.char(0, 0, 0, 0, 0, 0, 248, 127)
local HEADER_BYTES = 32

-- A row: the packed value (8 bytes) of each field by position.
local function null_row(width)
  local row = {}
  for f = 1, width do row[f] = NULL_POINT end
  return row
end

local function point(text)
  if type(text) == 'string' then
    local c = byte(text, 1)
    if c == 45 or (c >= 48 and c <= 57) then return struct.pack('<d', tonumber(text)) end
  end
  return NULL_POINT
end

-- The kept values of a record's JSON text (nil: absent). \`positions\` maps each kept field's
-- key text (quoted, as JSON.stringify writes it) to its position in a row.
local function text_row(s, width, positions)
  local row = null_row(width)
  if not s or byte(s, 2) == 125 then return row end
  local j = 2
  while true do
    local key_end = string_end(s, j)
    local v = key_end + 1
    local after = value_end(s, v, 2, 'the record %s', '')
    local position = positions[sub(s, j, key_end - 1)]
    if position then row[position] = point(sub(s, v, after - 1)) end
    if byte(s, after) == 125 then return row end
    j = after + 1
  end
end

-- The row a ring's header holds (its head bucket's values).
local function header_row(header, width)
  local row = {}
  for f = 1, width do row[f] = sub(header, HEADER_BYTES + 8 * f - 7, HEADER_BYTES + 8 * f) end
  return row
end

-- \`row\` with the kept fields a patch (node) names set to the patch's values: a number, or
-- null (removed, not a number, an object merged into whatever was there).
local function overlay(row, patch, fields, width)
  local out = {}
  for f = 1, width do
    local value = patch.values[fields[f]]
    if value == nil then out[f] = row[f] else out[f] = point(value) end
  end
  return out
end

local function names_any(patch, fields, width)
  for f = 1, width do
    if patch.values[fields[f]] ~= nil then return true end
  end
  return false
end

local function is_null_row(row, width)
  for f = 1, width do
    if row[f] ~= NULL_POINT then return false end
  end
  return true
end

-- Frees up to \`budget\` rings of the generations before \`gen\` (a spec changed), oldest
-- generation first, each giving back the points its header says it reserved.
local function clear_old_series(base, clean, gen, budget, points, meta)
  while clean < gen and budget > 0 do
    local index = base .. clean
    local popped = redis.call('ZPOPMIN', index, budget)
    local freed = 0
    for i = 1, #popped, 2 do
      local ring = index .. ':' .. popped[i]
      local header = redis.call('GETRANGE', ring, 0, HEADER_BYTES - 1)
      if #header == HEADER_BYTES then
        local _, capacity, width = struct.unpack('<ddd', header)
        freed = freed + capacity * width
      end
      redis.call('DEL', ring)
    end
    if freed > 0 then redis.call('DECRBY', points, freed) end
    if #popped / 2 < budget then
      clean = clean + 1
      redis.call('HSET', meta, 'sclean', clean)
    end
    budget = budget - #popped / 2
  end
end
`;

/**
 * One publish. KEYS: base epoch, meta, records, live, tombstones, history, tenant channels,
 * series points. ARGV: epoch candidate, known epoch, known seq, history size, history TTL ms,
 * history max bytes, max depth, commits pub/sub channel, channel name, series key base,
 * series spec (its signature, empty when the channel keeps none), resolution ms, capacity
 * (buckets), max points, field count, the fields (each as JSON text), then the upserts
 * (count, then id JSON and patch JSON pairs), the deletions (count, then id JSON), the events
 * (count, then each event's JSON without its opening brace, so seq and ts go first). Returns
 * the commit as JSON text, which it also publishes.
 *
 * "Known" is the highest position this instance saw on the channel: the same epoch at a lower
 * seq in Redis means Redis lost history (restored from an older snapshot), so the channel
 * gets a new epoch instead of a seq being used twice. So does a channel the tenant's channel
 * set names but whose state is gone.
 *
 * The whole publish is computed before anything is written, because Redis does not undo the
 * writes of a script that fails halfway: a value past the bounds is answered with an error
 * reply `REFUSED <reason>` and leaves the channel as it was.
 *
 * The history is trimmed by count, by age and by the bytes of its events' JSON (the meta
 * field `hbytes` keeps their total), oldest publishes first.
 */
export const PUBLISH_SCRIPT = `${COMMON}${MERGE_PATCH}${SERIES}
max_depth = tonumber(ARGV[7])
local meta = redis.call('HMGET', KEYS[2], 'seq', 'epoch', 'hbytes', 'sspec', 'sgen', 'sclean', 'sbucket')
local seq = tonumber(meta[1] or '0') + 1
local ts = now_ms()
local series_base, series_spec = ARGV[10], ARGV[11]
local resolution, capacity, max_points, width = tonumber(ARGV[12]), tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
local fields, positions = {}, {}
for f = 1, width do
  fields[f] = ARGV[15 + f]
  positions[fields[f]] = f
end
local bucket = series_spec ~= '' and math.floor(ts / resolution)
local gen = tonumber(meta[5] or '0')
if (meta[4] or '') ~= series_spec then gen = gen + 1 end
local series_index = series_base .. gen

-- Records as this publish leaves them (id → text, false when absent), each read once, and
-- the ids it changes, in order.
local current, changed, is_changed = {}, {}, {}
local function record(id)
  if current[id] == nil then current[id] = redis.call('HGET', KEYS[3], id) end
  return current[id]
end
local function change(id, text)
  current[id] = text
  if not is_changed[id] then
    is_changed[id] = true
    changed[#changed + 1] = id
  end
end

-- Series: each changed record's kept values as this publish leaves them (a row), and the
-- header (with the head's row) of its ring, '' when it has none, read once.
local rows, headers = {}, {}
local function ring_header(id)
  if headers[id] == nil then headers[id] = redis.call('GETRANGE', series_index .. ':' .. id, 0, HEADER_BYTES + 8 * width - 1) end
  return headers[id]
end
-- The record's kept values before the upsert at hand (\`text\`: its stored text, unchanged so far).
local function row_before(id, text)
  if rows[id] then return rows[id] end
  local header = ring_header(id)
  if header ~= '' then return header_row(header, width) end
  return text_row(text, width, positions)
end
local changes, events = {}, {}
local ok, failure = pcall(function()
  local a = 16 + width
  for i = 1, tonumber(ARGV[a]) do
    local id, patch = ARGV[a + 2 * i - 1], ARGV[a + 2 * i]
    local before = record(id) or nil
    local after, node = merge(before, patch, i - 1, id)
    if after then
      if bucket then
        if not before then rows[id] = overlay(null_row(width), node, fields, width)
        elseif names_any(node, fields, width) then rows[id] = overlay(row_before(id, before), node, fields, width) end
      end
      change(id, after)
      changes[#changes + 1] = '{"id":' .. id .. (before and (',"before":' .. before) or '') .. ',"after":' .. after .. '}'
    end
  end
  a = a + 1 + 2 * tonumber(ARGV[a])
  for i = 1, tonumber(ARGV[a]) do
    local id = ARGV[a + i]
    local before = record(id)
    if before then
      if bucket then rows[id] = null_row(width) end
      change(id, false)
      changes[#changes + 1] = '{"id":' .. id .. ',"before":' .. before .. '}'
    end
  end
  a = a + 1 + tonumber(ARGV[a])
  for i = 1, tonumber(ARGV[a]) do
    local event = '{"seq":' .. seq .. ',"ts":' .. ts .. ',' .. ARGV[a + i]
    if container_end(event, 1, 1, 'events[%d]', i - 1) ~= #event + 1 then error('malformed event') end
    events[i] = event
  end
end)
if not ok then
  if type(failure) == 'table' and failure.refusal then return redis.error_reply('REFUSED ' .. failure.refusal) end
  error(failure, 0)
end
local events_json = '[' .. table.concat(events, ',') .. ']'

-- Nothing was written so far; from here on nothing can be refused.
local epoch = meta[2]
if not epoch then
  if redis.call('SISMEMBER', KEYS[7], ARGV[9]) == 1 then epoch = ARGV[1] else epoch = base_epoch(KEYS[1], ARGV[1]) end
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
if ARGV[2] == epoch and seq - 1 < tonumber(ARGV[3]) then
  epoch = ARGV[1]
  redis.call('HSET', KEYS[2], 'epoch', epoch)
end
for _, id in ipairs(changed) do
  local text = current[id]
  if text then
    redis.call('HSET', KEYS[3], id, text)
    redis.call('ZADD', KEYS[4], seq, id)
    redis.call('ZREM', KEYS[5], id)
  else
    redis.call('HDEL', KEYS[3], id)
    redis.call('ZREM', KEYS[4], id)
    redis.call('ZADD', KEYS[5], seq, id)
  end
end

-- The history: append, then drop the oldest publishes while it is over any of its caps. Its
-- entries are consecutive seqs up to this one, so an entry's seq tells how many are kept.
local bytes = tonumber(meta[3] or '0')
if not meta[3] then
  -- A history kept before its bytes were counted.
  for _, entry in ipairs(redis.call('XRANGE', KEYS[6], '-', '+')) do bytes = bytes + #entry[2][4] end
end
-- The entry's id carries the publish's time (a recovery's series start at it: fromTs), unless
-- the clock stepped back behind the newest entry (or Redis is older than 7.0): then Redis picks.
local added = redis.pcall('XADD', KEYS[6], ts .. '-*', 's', seq, 'e', events_json)
if type(added) == 'table' and added.err then redis.call('XADD', KEYS[6], '*', 's', seq, 'e', events_json) end
bytes = bytes + #events_json
local max_length, cutoff, max_bytes = tonumber(ARGV[4]), ts - tonumber(ARGV[5]), tonumber(ARGV[6])
-- Usually one publish leaves as one arrives: read two, then more at a time.
local start, kept, floor, count = '-', nil, seq, 2
while not kept do
  local batch = redis.call('XRANGE', KEYS[6], start, '+', 'COUNT', count)
  count = 64
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    local entry_seq = tonumber(entry[2][2])
    -- Only this publish is left (also when the stream was lost while the count was kept).
    if entry_seq == seq then bytes = #events_json end
    if seq - entry_seq < max_length and bytes <= max_bytes and tonumber(string.match(entry[1], '^%d+')) >= cutoff then
      kept, floor = entry[1], entry_seq - 1
      break
    end
    bytes = bytes - #entry[2][4]
    start = '(' .. entry[1]
  end
end
if start ~= '-' then
  if kept then redis.call('XTRIM', KEYS[6], 'MINID', kept) else redis.call('XTRIM', KEYS[6], 'MAXLEN', 0) end
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', floor)
if bucket then
  redis.call('HSET', KEYS[2], 'seq', seq, 'hbytes', bytes, 'sbucket', bucket)
else
  redis.call('HSET', KEYS[2], 'seq', seq, 'hbytes', bytes)
end
redis.call('SADD', KEYS[7], ARGV[9])

-- Series. A spec that differs from the one the rings were written with starts a new
-- generation; the old one's rings are freed a few per publish.
if gen ~= tonumber(meta[5] or '0') then redis.call('HSET', KEYS[2], 'sspec', series_spec, 'sgen', gen) end
local clean = tonumber(meta[6] or '0')
if clean < gen then clear_old_series(series_base, clean, gen, 32, KEYS[8], KEYS[2]) end
if bucket then
  local reserve, row_bytes = capacity * width, 8 * width
  -- Rings whose record ended before the window (every bucket of it null) are freed, up to 64
  -- by the channel's first publish in each bucket.
  if tonumber(meta[7]) ~= bucket then
    local ended = redis.call('ZRANGEBYSCORE', series_index, '-inf', bucket - capacity, 'LIMIT', 0, 64)
    if #ended > 0 then
      for _, id in ipairs(ended) do
        redis.call('DEL', series_index .. ':' .. id)
        headers[id] = ''
      end
      redis.call('ZREM', series_index, unpack(ended))
      redis.call('DECRBY', KEYS[8], #ended * reserve)
    end
  end
  for _, id in ipairs(changed) do
    local row = rows[id]
    if row then
      local ring, header = series_index .. ':' .. id, ring_header(id)
      local ends, packed = is_null_row(row, width), table.concat(row)
      if header == '' then
        -- A new ring reserves its whole window, or is not started when that passes the cap.
        -- Allocated whole at once: a string grown by SETRANGE would be given twice its size.
        if not ends and redis.call('INCRBY', KEYS[8], reserve) > max_points then
          redis.call('DECRBY', KEYS[8], reserve)
        elseif not ends then
          redis.call('SET', ring, struct.pack('<dddd', bucket, capacity, width, bucket) .. packed .. string.rep(NULL_POINT, capacity * width))
          redis.call('ZADD', series_index, '+inf', id)
        end
      else
        local previous = sub(header, HEADER_BYTES + 1)
        if packed ~= previous then
          local first, _, _, head = struct.unpack('<dddd', header)
          if bucket <= head then
            -- Same bucket (or a clock that stepped back): the head's row takes the new values.
            redis.call('SETRANGE', ring, HEADER_BYTES, packed)
          else
            -- The buckets the head leaves behind (those still in the window) carry its row.
            local rows_left = math.min(bucket - head, capacity - 1)
            if rows_left > 0 then
              local slot = (bucket - rows_left - first) % capacity
              local straight = math.min(rows_left, capacity - slot)
              local offset = HEADER_BYTES + row_bytes
              redis.call('SETRANGE', ring, offset + slot * row_bytes, string.rep(previous, straight))
              if straight < rows_left then redis.call('SETRANGE', ring, offset, string.rep(previous, rows_left - straight)) end
            end
            redis.call('SETRANGE', ring, 24, struct.pack('<d', bucket) .. packed)
            head = bucket
          end
          if ends then
            redis.call('ZADD', series_index, head, id)
          elseif is_null_row(header_row(header, width), width) then
            redis.call('ZADD', series_index, '+inf', id)
          end
        end
      end
    end
  end
end

local commit = '{"epoch":"' .. epoch .. '","seq":' .. seq .. ',"ts":' .. ts
  .. ',"changes":[' .. table.concat(changes, ',') .. '],"events":' .. events_json .. '}'
redis.call('PUBLISH', ARGV[8], commit)
return commit
`;

/**
 * A channel's series for the buckets from a start to now (see SERIES). KEYS: base epoch, meta.
 * ARGV: epoch candidate, series key base, series spec (signature), resolution ms, capacity,
 * buckets wanted, the bucket of the request's \`from\` (empty when none), field count, then
 * 'all' for every record, or 'ids' followed by the id JSON texts wanted. Returns
 * { epoch, seq, now bucket, start bucket, rings }, where rings is flat: per record its id JSON,
 * first bucket, head bucket, the bucket of the first slot returned, and the head's row followed
 * by the rows of the slots from that bucket to the one before the head (none when the head is
 * before the start). No rings while the stored series were written with another spec.
 */
export const SERIES_SCRIPT = `${COMMON}
local HEADER_BYTES = 32
local epoch = channel_epoch(KEYS[2], KEYS[1], ARGV[1])
local meta = redis.call('HMGET', KEYS[2], 'seq', 'sspec', 'sgen')
local seq = tonumber(meta[1] or '0')
local resolution, capacity, width = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[8])
local now = math.floor(now_ms() / resolution)
local start = now - tonumber(ARGV[6]) + 1
if ARGV[7] ~= '' then start = math.max(start, math.min(now, tonumber(ARGV[7]))) end
local rings = {}
if meta[2] == ARGV[3] then
  local index = ARGV[2] .. meta[3]
  local row_bytes = 8 * width
  local slots = HEADER_BYTES + row_bytes
  local function read(id)
    local ring = index .. ':' .. id
    local header = redis.call('GETRANGE', ring, 0, slots - 1)
    if #header ~= slots then return end
    local first, _, _, head = struct.unpack('<dddd', header)
    -- The slots of the buckets from the start (or the ring's first) to the one before the head.
    local lo = math.max(start, first, head - capacity + 1)
    local rows = head - lo
    local bytes = ''
    if rows > 0 then
      local slot = (lo - first) % capacity
      local straight = math.min(rows, capacity - slot)
      bytes = redis.call('GETRANGE', ring, slots + slot * row_bytes, slots + (slot + straight) * row_bytes - 1)
      if straight < rows then bytes = bytes .. redis.call('GETRANGE', ring, slots, slots + (rows - straight) * row_bytes - 1) end
    end
    rings[#rings + 1] = id
    rings[#rings + 1] = first
    rings[#rings + 1] = head
    rings[#rings + 1] = lo
    rings[#rings + 1] = string.sub(header, HEADER_BYTES + 1) .. bytes
  end
  if ARGV[9] == 'all' then
    -- Rings that ended before the start are null all through: not read.
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', index, start, '+inf')) do read(id) end
  else
    for i = 10, #ARGV do read(ARGV[i]) end
  end
end
return { epoch, seq, now, start, rings }
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
 * { 1, epoch, seq, record JSON texts, deleted id JSON texts, event-array JSON texts, time }
 * where time is the ms of the first publish after the position (its history entry's id;
 * empty when none).
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
local events, time = {}, ''
if seq > from then
  local entries = redis.call('XREVRANGE', KEYS[6], '+', '-', 'COUNT', seq - from)
  for i = #entries, 1, -1 do
    if entries[i][2][4] ~= '[]' then events[#events + 1] = entries[i][2][4] end
  end
  if #entries > 0 then time = string.match(entries[#entries][1], '^%d+') end
end
return { 1, epoch, seq, records, deleted, events, time }
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
