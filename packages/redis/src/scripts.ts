/**
 * The two operations that are not a single Redis command. Each reads and writes one key inside
 * one script, so no other client can act between the comparison and the write. The SHA-1 digests
 * are fixed here (a test recomputes them) so EVALSHA needs no hashing at runtime.
 */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/** KEYS[1] = key; ARGV = expected, new value, TTL in ms. Returns 1 when written. */
export const COMPARE_AND_SET: LuaScript = {
  source: `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
`,
  sha1: '909c526804bfe7ebf6cbaa542182852f5b7727a7',
};

/** KEYS[1] = key; ARGV = expected. Returns 1 when deleted. */
export const COMPARE_AND_DELETE: LuaScript = {
  source: `if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`,
  sha1: 'c89cee65b7ab260d98c281f3c3eb6fa7c992cdd2',
};

/**
 * KEYS[1] = key; ARGV = line, lines kept (≥ 1), TTL in ms. Appends the line to the key's lines,
 * keeps the newest ARGV[2], renews the TTL (Store.appendLine).
 */
export const APPEND_LINE: LuaScript = {
  source: `local v = redis.call('GET', KEYS[1])
local keep = tonumber(ARGV[2])
if v and keep > 1 then
  local cut = #v + 1
  for _ = 2, keep do
    local at = nil
    for i = cut - 1, 1, -1 do
      if string.byte(v, i) == 10 then at = i break end
    end
    if not at then cut = 0 break end
    cut = at
  end
  v = string.sub(v, cut + 1) .. '\\n' .. ARGV[1]
else
  v = ARGV[1]
end
redis.call('SET', KEYS[1], v, 'PX', ARGV[3])
return 1
`,
  sha1: 'ce4cf6de1182199e03e3c56d81a23c60d6a4d55d',
};
