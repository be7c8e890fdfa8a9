#include "modules/bot/user_agent.h"

#include <array>
#include <cstdint>
#include <cstring>

#include <xxhash.h>

#include "modules/bot/clearance.h"

namespace rampart::modules::bot {
namespace {

// Longer User-Agents (rare: no browser's is) are classified on every request.
constexpr size_t kMaxCached = 256;
constexpr size_t kSlots = 64;  // direct-mapped; a slot is ~300 bytes

struct Slot {
  uint64_t hash = 0;
  uint16_t size = 0;  // 0: empty (an empty User-Agent is not cached)
  bool family_in_ua = false;
  uint16_t family_size = 0;     // when family_in_ua: the family is ua's first family_size bytes
  const char* family_static{};  // otherwise a static string of family_size bytes
  UaInfo info;
  std::array<char, kMaxCached> text;
};

thread_local std::array<Slot, kSlots> cache;

uint64_t hash_text(std::string_view s) {
  return XXH3_64bits(s.data(), s.size());
}

UaFacts compute(std::string_view ua) {
  return {classify_user_agent(ua), ua_family(ua)};
}

}  // namespace

UaFacts user_agent_facts(std::string_view ua) {
  if (ua.empty() || ua.size() > kMaxCached) return compute(ua);
  uint64_t h = hash_text(ua);
  Slot& slot = cache[h % kSlots];
  if (slot.size == ua.size() && slot.hash == h &&
      std::memcmp(slot.text.data(), ua.data(), ua.size()) == 0) {
    return {slot.info, slot.family_in_ua ? ua.substr(0, slot.family_size)
                                         : std::string_view(slot.family_static, slot.family_size)};
  }
  UaFacts facts = compute(ua);
  slot.hash = h;
  slot.size = static_cast<uint16_t>(ua.size());
  std::memcpy(slot.text.data(), ua.data(), ua.size());
  slot.info = facts.info;
  // ua_family returns either a prefix of `ua` or one of its own static strings.
  slot.family_in_ua = facts.family.data() == ua.data();
  slot.family_size = static_cast<uint16_t>(facts.family.size());
  slot.family_static = slot.family_in_ua ? nullptr : facts.family.data();
  return facts;
}

}  // namespace rampart::modules::bot
