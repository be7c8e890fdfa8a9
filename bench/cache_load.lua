-- wrk script for bench/cache.sh: GETs of /o/0 .. /o/(N-1), picked uniformly or by a
-- Zipf law (object i has rank i + 1), so every proxy sees the same mix of objects.
--
--   wrk ... -s bench/cache_load.lua URL -- uniform|zipf N [EXPONENT] [SEED]
--
-- The request strings are built once per thread; a request costs one random number
-- (and, for Zipf, a binary search over the cumulative weights).

local requests = {}
local cdf = {}
local n = 0
local zipf = false

function init(args)
  local dist = args[1] or "uniform"
  n = tonumber(args[2] or "1000")
  local s = tonumber(args[3] or "1.0")
  math.randomseed(tonumber(args[4] or "1"))
  if dist ~= "uniform" and dist ~= "zipf" then
    error("cache_load.lua: distribution must be uniform or zipf, got " .. dist)
  end
  zipf = dist == "zipf"
  for i = 1, n do
    requests[i] = wrk.format("GET", "/o/" .. (i - 1))
  end
  if zipf then
    local total = 0
    for i = 1, n do total = total + 1 / i ^ s end
    local acc = 0
    for i = 1, n do
      acc = acc + 1 / i ^ s / total
      cdf[i] = acc
    end
    cdf[n] = 1.0
  end
end

function request()
  if not zipf then return requests[math.random(n)] end
  local u = math.random()
  local lo, hi = 1, n
  while lo < hi do
    local mid = math.floor((lo + hi) / 2)
    if cdf[mid] < u then lo = mid + 1 else hi = mid end
  end
  return requests[lo]
end
