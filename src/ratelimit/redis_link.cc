#include "ratelimit/redis_link.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>

namespace rampart::ratelimit {
namespace {

// Redis's numbers are input: a broken or hostile server must not overflow the
// conversion. A day is far beyond any debt or block a rule can ask for.
Nanos micros_to_nanos(long long micros) {
  constexpr long long kDayMicros = 86'400'000'000LL;
  return static_cast<Nanos>(std::clamp(micros, -kDayMicros, kDayMicros)) * 1000;
}

// GCRA for the whole fleet, one call per rule and batch. Times are Redis's own clock
// in microseconds (TIME), so nodes never compare their clocks; a key's value is its
// arrival time and it expires once that has passed (it then says nothing). Returns
// each key's debt (arrival time minus now) in microseconds. Mirrors
// cluster::fleet_advance. The requests a node pushes are counted from when the first
// of them came (its age), not from the push: otherwise a key's fleet arrival time would
// run ahead of its local one by up to a sync interval, refusing requests early.
// KEYS: the keys. ARGV[1]: interval (µs, fractional), ARGV[2]: cap (µs), ARGV[2+i]:
// requests admitted for KEYS[i], ARGV[2+#KEYS+i]: their age (µs).
constexpr const char* kScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local limit = now + tonumber(ARGV[2])
local out = {}
local count = #KEYS
for i, key in ipairs(KEYS) do
  local n = tonumber(ARGV[i + 2])
  local start = now - (tonumber(ARGV[i + 2 + count]) or 0)
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < start then tat = start end
  if n > 0 and tat < limit then
    tat = math.min(tat + math.ceil(n * interval), limit)
    redis.call('SET', key, string.format('%.0f', tat), 'PX',
               math.max(1, math.ceil((tat - now) / 1000)))
  end
  out[i] = tat - now
end
return out
)lua";

// The fleet's mitigation timeouts of one rule: a sorted set of client keys scored by
// when their block ends (Redis's clock, µs), and beside it a sorted set of the same
// keys scored by when their block was last set or extended, so a node can ask only
// for what changed since its previous sync instead of the whole set every interval.
// Adds the blocks a node started (a longer one wins), drops those that ended and, past
// the cap, those ending soonest; changes older than the longest block cannot concern
// a block still in force and go too. Returns Redis's time, then (member, µs left)
// pairs: every block when `since` is 0, else those changed at or after `since`. Both
// sets expire with the last block.
// KEYS[1]: the blocks, KEYS[2]: the changes. ARGV[1]: the cap, ARGV[2]: since (µs),
// ARGV[3]: the longest block (µs); then member, µs left, for each new block.
constexpr const char* kBlocksScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local cap = tonumber(ARGV[1])
local since = tonumber(ARGV[2])
local longest = tonumber(ARGV[3])
local stamp = string.format('%.0f', now)
for i = 4, #ARGV - 1, 2 do
  local ends = now + tonumber(ARGV[i + 1])
  local old = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[i]) or '0') or 0
  if ends > old then
    redis.call('ZADD', KEYS[1], string.format('%.0f', ends), ARGV[i])
    redis.call('ZADD', KEYS[2], stamp, ARGV[i])
  end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', stamp)
local n = redis.call('ZCARD', KEYS[1])
if n > cap then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - cap - 1) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now - longest))
n = redis.call('ZCARD', KEYS[2])
if n > cap then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - cap - 1) end
local out = {now}
if since <= 0 then
  local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
  for i = 1, #live - 1, 2 do
    out[#out + 1] = live[i]
    out[#out + 1] = tonumber(live[i + 1]) - now
  end
else
  local changed = redis.call('ZRANGEBYSCORE', KEYS[2], string.format('%.0f', since), '+inf')
  for _, member in ipairs(changed) do
    local ends = tonumber(redis.call('ZSCORE', KEYS[1], member) or '0') or 0
    if ends > now then
      out[#out + 1] = member
      out[#out + 1] = ends - now
    end
  end
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if #last >= 2 then
  local ttl = math.max(1, math.ceil((tonumber(last[2]) - now) / 1000))
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
else
  redis.call('DEL', KEYS[2])
end
return out
)lua";

// Keys per script call: bounds the time Redis spends in one call.
constexpr size_t kKeysPerCall = 512;

}  // namespace

bool push_fleet(redis::Connection& link, std::vector<FleetBatch*>& batches, std::string& error) {
  if (!link.connect(error)) return false;
  // Queue every call, then read the replies: one round trip for the whole sync.
  std::vector<std::string_view> args;
  std::vector<std::string> numbers;
  for (FleetBatch* b : batches) {
    b->debts.assign(b->keys.size(), 0);
    for (size_t from = 0; from < b->keys.size(); from += kKeysPerCall) {
      size_t n = std::min(kKeysPerCall, b->keys.size() - from);
      numbers.clear();
      numbers.reserve(2 * n + 3);
      numbers.push_back(std::to_string(n));
      numbers.push_back(fmt::format("{:.3f}", static_cast<double>(b->interval) / 1000.0));
      numbers.push_back(std::to_string(b->cap / 1000));
      for (size_t i = 0; i < n; ++i) numbers.push_back(std::to_string(b->admitted[from + i]));
      for (size_t i = 0; i < n; ++i) {
        Nanos age = from + i < b->ages.size() ? b->ages[from + i] : 0;
        numbers.push_back(std::to_string(std::max<Nanos>(age, 0) / 1000));
      }
      args = {"EVAL", kScript, numbers[0]};
      for (size_t i = 0; i < n; ++i) args.push_back(b->keys[from + i]);
      for (size_t i = 1; i < numbers.size(); ++i) args.push_back(numbers[i]);
      if (!link.append(args, error)) return false;
    }
  }
  for (FleetBatch* b : batches) {
    if (b->blocks_key.empty()) continue;
    numbers.clear();
    numbers.reserve(3 + 2 * b->started.size());
    numbers.push_back(std::to_string(std::max<size_t>(b->max_blocks, 1)));
    numbers.push_back(std::to_string(std::max<int64_t>(b->blocks_since, 0)));
    numbers.push_back(std::to_string(std::max<Nanos>(b->longest_block / 1000, 1)));
    for (const auto& [fleet_key, left] : b->started) {
      numbers.push_back(fmt::format("{:016x}", fleet_key));
      numbers.push_back(std::to_string(std::max<Nanos>(left / 1000, 1)));
    }
    args = {"EVAL", kBlocksScript, "2", b->blocks_key, b->blocks_changes_key};
    for (const std::string& s : numbers) args.push_back(s);
    if (!link.append(args, error)) return false;
  }
  bool ok = true;
  redis::Reply r;
  // Every queued reply is read even after an error, so none is left for later.
  for (FleetBatch* b : batches) {
    for (size_t from = 0; from < b->keys.size(); from += kKeysPerCall) {
      size_t n = std::min(kKeysPerCall, b->keys.size() - from);
      if (!link.read(r, error)) return false;
      if (r.type != redis::Reply::Type::kArray || r.elements.size() != n) {
        if (ok) error = redis::describe(r);
        ok = false;
        continue;
      }
      for (size_t i = 0; i < n; ++i) {
        const redis::Reply& e = r.elements[i];
        if (e.type == redis::Reply::Type::kInteger) b->debts[from + i] = micros_to_nanos(e.integer);
      }
    }
  }
  for (FleetBatch* b : batches) {
    if (b->blocks_key.empty()) continue;
    b->fleet_blocks.clear();
    if (!link.read(r, error)) return false;
    if (r.type != redis::Reply::Type::kArray || r.elements.size() % 2 != 1 ||
        r.elements[0].type != redis::Reply::Type::kInteger) {
      if (ok) error = redis::describe(r);
      ok = false;
      continue;
    }
    b->blocks_now = r.elements[0].integer;
    for (size_t i = 1; i + 1 < r.elements.size(); i += 2) {
      const redis::Reply& member = r.elements[i];
      const redis::Reply& left = r.elements[i + 1];
      if (member.type != redis::Reply::Type::kString || left.type != redis::Reply::Type::kInteger) {
        continue;
      }
      char* end = nullptr;
      uint64_t fleet_key = std::strtoull(member.str.c_str(), &end, 16);
      if (end == member.str.c_str() || *end != '\0' || left.integer <= 0) continue;
      b->fleet_blocks.emplace_back(fleet_key, micros_to_nanos(left.integer));
    }
  }
  if (!ok) link.close();
  return ok;
}

}  // namespace rampart::ratelimit
