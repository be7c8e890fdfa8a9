#include "modules/bot/behaviour.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>

namespace rampart::modules::bot {
namespace {

uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t hash_bytes(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

uint64_t client_key(const core::IpAddress& ip) {
  bool v4 = ip.bytes[10] == 0xff && ip.bytes[11] == 0xff;
  bool zero_prefix = true;
  for (int i = 0; i < 10; ++i) zero_prefix = zero_prefix && ip.bytes[i] == 0;
  // IPv4 (mapped): the whole address; IPv6: the /64.
  size_t from = v4 && zero_prefix ? 12 : 0, to = v4 && zero_prefix ? 16 : 8;
  uint64_t k = v4 && zero_prefix ? 0x4000000000000000ULL : 0x6000000000000000ULL;
  for (size_t i = from; i < to; ++i) k = (k << 8 | (k >> 56)) ^ ip.bytes[i];
  k = mix(k);
  return k == 0 ? 1 : k;
}

// Linear counting's estimate for each count of zero bits, computed once rather than a
// logarithm per request: with z of m bits still zero, about m * ln(m / z) distinct values.
const std::array<uint32_t, 129> kDistinctByZeros = [] {
  std::array<uint32_t, 129> t{};
  t[0] = 1000;  // every bit set: more than linear counting can tell
  for (int z = 1; z <= 128; ++z)
    t[static_cast<size_t>(z)] = static_cast<uint32_t>(std::lround(128.0 * std::log(128.0 / z)));
  return t;
}();

}  // namespace

BehaviourTable::BehaviourTable(size_t slots)
    : sets_(std::max<size_t>(1, (slots + kWays - 1) / kWays)),
      locks_(std::make_unique<std::mutex[]>(kLocks)) {
  entries_.resize(sets_ * kWays);
}

BehaviourTable& BehaviourTable::process() {
  // 64 Ki clients, ~64 bytes each: 4 MiB whatever the traffic.
  static BehaviourTable table(65536);
  return table;
}

BehaviourSample BehaviourTable::observe(const core::IpAddress& client, std::string_view path,
                                        bool navigation, int64_t now) {
  uint64_t key = client_key(client);
  size_t set = static_cast<size_t>(key % sets_);
  uint64_t path_bit = mix(hash_bytes(path)) & 127;
  std::lock_guard lock(locks_[set % kLocks]);
  Entry* ways = &entries_[set * kWays];
  Entry* e = nullptr;
  for (size_t i = 0; i < kWays && e == nullptr; ++i) {
    if (ways[i].key == key) e = &ways[i];
  }
  if (e == nullptr) {
    e = &ways[0];
    for (size_t i = 1; i < kWays; ++i) {
      if (ways[i].last_seen < e->last_seen) e = &ways[i];
    }
    *e = Entry{};
    e->key = key;
    e->window_start = now;
  }
  if (now - e->window_start >= kWindowSeconds || now < e->window_start) {
    *e = Entry{key, now, now, 0, 0, 0, {0, 0}};
  }
  e->last_seen = now;
  ++e->requests;
  ++(navigation ? e->navigations : e->subresources);
  e->paths[path_bit >> 6] |= 1ULL << (path_bit & 63);
  BehaviourSample s{e->requests, e->navigations, e->subresources, 0};
  int zeros = 128 - std::popcount(e->paths[0]) - std::popcount(e->paths[1]);
  s.distinct_paths = kDistinctByZeros[static_cast<size_t>(zeros)];
  return s;
}

int behaviour_signal(const BehaviourSample& s) {
  int points = 0;
  // Per one-minute window: 10 requests a second sustained is no person reading pages.
  if (s.requests > 600) {
    points -= 25;
  } else if (s.requests > 180) {
    points -= 10;
  }
  // Browsers load a page's images, scripts and styles; scrapers fetch the HTML only.
  if (s.navigations >= 10 && s.subresources == 0) points -= 15;
  // A person reads a handful of pages a minute; a crawler walks the site.
  if (s.distinct_paths >= 40 && s.navigations >= 20) points -= 15;
  return points;
}

}  // namespace rampart::modules::bot
