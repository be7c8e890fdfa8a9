#include "ratelimit/redis_link.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

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
// cluster::fleet_advance.
// KEYS: the keys. ARGV[1]: interval (µs, fractional), ARGV[2]: cap (µs), ARGV[2+i]:
// requests admitted for KEYS[i].
constexpr const char* kScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local limit = now + tonumber(ARGV[2])
local out = {}
for i, key in ipairs(KEYS) do
  local n = tonumber(ARGV[i + 2])
  local tat = tonumber(redis.call('GET', key) or '0') or 0
  if tat < now then tat = now end
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

redisContext* ctx(void* p) {
  return static_cast<redisContext*>(p);
}

timeval to_timeval(Nanos ns) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ns / kSecond);
  tv.tv_usec = static_cast<suseconds_t>((ns % kSecond) / 1000);
  return tv;
}

std::string reply_error(redisContext* c, redisReply* r) {
  if (r == nullptr) return c->errstr[0] != '\0' ? std::string(c->errstr) : "no reply";
  if (r->type == REDIS_REPLY_ERROR) return std::string(r->str, r->len);
  return "unexpected reply type " + std::to_string(r->type);
}

}  // namespace

RedisLink::RedisLink(std::string host, uint16_t port, std::string password, Nanos timeout)
    : host_(std::move(host)), port_(port), password_(std::move(password)), timeout_(timeout) {}

RedisLink::~RedisLink() {
  close();
}

std::string RedisLink::address() const {
  return host_.find(':') != std::string::npos ? fmt::format("[{}]:{}", host_, port_)
                                              : fmt::format("{}:{}", host_, port_);
}

void RedisLink::close() {
  if (context_ != nullptr) redisFree(ctx(context_));
  context_ = nullptr;
}

bool RedisLink::connect(std::string& error) {
  if (context_ != nullptr) return true;
  timeval tv = to_timeval(timeout_);
  redisContext* c = redisConnectWithTimeout(host_.c_str(), port_, tv);
  if (c == nullptr) {
    error = "cannot allocate a connection";
    return false;
  }
  if (c->err != 0) {
    error = c->errstr;
    redisFree(c);
    return false;
  }
  redisSetTimeout(c, tv);
  context_ = c;
  if (!password_.empty()) {
    auto* r = static_cast<redisReply*>(
        redisCommand(c, "AUTH %b", password_.data(), static_cast<size_t>(password_.size())));
    bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
    if (!ok) error = "AUTH refused: " + reply_error(c, r);
    if (r != nullptr) freeReplyObject(r);
    if (!ok) {
      close();
      return false;
    }
  }
  return true;
}

bool RedisLink::ping(std::string& error) {
  if (context_ == nullptr && !connect(error)) return false;
  redisContext* c = ctx(context_);
  auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
  bool ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
  if (!ok) error = reply_error(c, r);
  if (r != nullptr) freeReplyObject(r);
  if (!ok) close();
  return ok;
}

bool RedisLink::push(std::vector<FleetBatch*>& batches, std::string& error) {
  if (context_ == nullptr && !connect(error)) return false;
  redisContext* c = ctx(context_);
  // Queue every call, then read the replies: one round trip for the whole sync.
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  std::vector<std::string> numbers;
  for (FleetBatch* b : batches) {
    b->debts.assign(b->keys.size(), 0);
    for (size_t from = 0; from < b->keys.size(); from += kKeysPerCall) {
      size_t n = std::min(kKeysPerCall, b->keys.size() - from);
      argv.clear();
      lens.clear();
      numbers.clear();
      numbers.reserve(n + 3);
      numbers.push_back(std::to_string(n));
      numbers.push_back(fmt::format("{:.3f}", static_cast<double>(b->interval) / 1000.0));
      numbers.push_back(std::to_string(b->cap / 1000));
      for (size_t i = 0; i < n; ++i) numbers.push_back(std::to_string(b->admitted[from + i]));
      argv.push_back("EVAL");
      argv.push_back(kScript);
      argv.push_back(numbers[0].c_str());
      for (size_t i = 0; i < n; ++i) argv.push_back(b->keys[from + i].c_str());
      for (size_t i = 1; i < numbers.size(); ++i) argv.push_back(numbers[i].c_str());
      lens.push_back(4);
      lens.push_back(std::strlen(kScript));
      lens.push_back(numbers[0].size());
      for (size_t i = 0; i < n; ++i) lens.push_back(b->keys[from + i].size());
      for (size_t i = 1; i < numbers.size(); ++i) lens.push_back(numbers[i].size());
      if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
          REDIS_OK) {
        error = reply_error(c, nullptr);
        close();
        return false;
      }
    }
  }
  for (FleetBatch* b : batches) {
    if (b->blocks_key.empty()) continue;
    argv.clear();
    lens.clear();
    numbers.clear();
    numbers.reserve(3 + 2 * b->started.size());
    numbers.push_back(std::to_string(std::max<size_t>(b->max_blocks, 1)));
    numbers.push_back(std::to_string(std::max<int64_t>(b->blocks_since, 0)));
    numbers.push_back(std::to_string(std::max<Nanos>(b->longest_block / 1000, 1)));
    for (const auto& [fleet_key, left] : b->started) {
      numbers.push_back(fmt::format("{:016x}", fleet_key));
      numbers.push_back(std::to_string(std::max<Nanos>(left / 1000, 1)));
    }
    argv = {"EVAL", kBlocksScript, "2", b->blocks_key.c_str(), b->blocks_changes_key.c_str()};
    lens = {4, std::strlen(kBlocksScript), 1, b->blocks_key.size(), b->blocks_changes_key.size()};
    for (const std::string& s : numbers) {
      argv.push_back(s.c_str());
      lens.push_back(s.size());
    }
    if (redisAppendCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
        REDIS_OK) {
      error = reply_error(c, nullptr);
      close();
      return false;
    }
  }
  bool ok = true;
  // Every queued reply is read even after an error, so none is left for later.
  for (FleetBatch* b : batches) {
    for (size_t from = 0; from < b->keys.size(); from += kKeysPerCall) {
      size_t n = std::min(kKeysPerCall, b->keys.size() - from);
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK) {
        error = reply_error(c, nullptr);
        close();
        return false;
      }
      auto* r = static_cast<redisReply*>(raw);
      if (r->type != REDIS_REPLY_ARRAY || r->elements != n) {
        if (ok) error = reply_error(c, r);
        ok = false;
      } else {
        for (size_t i = 0; i < n; ++i) {
          const redisReply* e = r->element[i];
          if (e->type == REDIS_REPLY_INTEGER) b->debts[from + i] = micros_to_nanos(e->integer);
        }
      }
      freeReplyObject(r);
    }
  }
  for (FleetBatch* b : batches) {
    if (b->blocks_key.empty()) continue;
    b->fleet_blocks.clear();
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK) {
      error = reply_error(c, nullptr);
      close();
      return false;
    }
    auto* r = static_cast<redisReply*>(raw);
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER) {
      if (ok) error = reply_error(c, r);
      ok = false;
    } else {
      b->blocks_now = r->element[0]->integer;
      for (size_t i = 1; i + 1 < r->elements; i += 2) {
        const redisReply* member = r->element[i];
        const redisReply* left = r->element[i + 1];
        if (member->type != REDIS_REPLY_STRING || left->type != REDIS_REPLY_INTEGER) continue;
        std::string text(member->str, member->len);
        char* end = nullptr;
        uint64_t fleet_key = std::strtoull(text.c_str(), &end, 16);
        if (end == text.c_str() || *end != '\0' || left->integer <= 0) continue;
        b->fleet_blocks.emplace_back(fleet_key, micros_to_nanos(left->integer));
      }
    }
    freeReplyObject(r);
  }
  if (!ok) close();
  return ok;
}

}  // namespace rampart::ratelimit
