// Fuzzes the verified bots' data-feed compilers: crawler IP ranges and Web Bot Auth
// JWKS, JSON files fetched from third parties and reloaded while rampart serves. The
// same text goes to both. Invariants: a compiled feed holds exactly what the file
// lists (every prefix matches its own base address; every key is found under its
// RFC 7638 thumbprint), entry counts are honest, and an error means no data.

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/ip.h"
#include "core/ip_range_set.h"
#include "fuzz_check.h"
#include "modules/bot/bot_feeds.h"

namespace {

namespace bot = rampart::modules::bot;
namespace json = boost::json;

constexpr uint64_t kMaxEntries = 32;

const json::array* list_of(const json::value& doc, std::string_view key) {
  if (!doc.is_object()) return nullptr;
  auto it = doc.as_object().find(key);
  if (it == doc.as_object().end() || !it->value().is_array()) return nullptr;
  return &it->value().as_array();
}

std::string_view text_of(const json::value& v) {
  return {v.as_string().data(), v.as_string().size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  boost::system::error_code ec;
  const json::value doc = json::parse(text, ec);

  const rampart::feeds::Compiled ranges = bot::compile_ip_ranges(text, kMaxEntries);
  FUZZ_CHECK(ranges.error.empty() != (ranges.data == nullptr));
  if (ranges.data) {
    FUZZ_CHECK(!ec);
    const json::array* prefixes = list_of(doc, "prefixes");
    FUZZ_CHECK(prefixes != nullptr);
    if (prefixes->size() > kMaxEntries) {
      FUZZ_CHECK(ranges.entries > kMaxEntries);  // the feed reports "over the limit"
    } else {
      FUZZ_CHECK(ranges.entries == prefixes->size());
      const auto set = std::static_pointer_cast<const rampart::core::IpRangeSet>(ranges.data);
      for (const json::value& p : *prefixes) {
        const json::object& o = p.as_object();
        const json::value* v = o.if_contains("ipv4Prefix");
        if (v == nullptr) v = o.if_contains("ipv6Prefix");
        FUZZ_CHECK(v != nullptr && v->is_string());
        const auto cidr = rampart::core::Cidr::parse(text_of(*v));
        FUZZ_CHECK(cidr.has_value());
        FUZZ_CHECK(set->contains(cidr->base));
      }
    }
  }

  const rampart::feeds::Compiled keys = bot::compile_jwks(text, kMaxEntries);
  FUZZ_CHECK(keys.error.empty() != (keys.data == nullptr));
  if (keys.data) {
    FUZZ_CHECK(!ec);
    const json::array* list = list_of(doc, "keys");
    FUZZ_CHECK(list != nullptr);
    if (list->size() <= kMaxEntries) {
      FUZZ_CHECK(keys.entries == list->size());
      const auto found = std::static_pointer_cast<const bot::PublicKeys>(keys.data);
      FUZZ_CHECK(found->by_thumbprint.size() <= list->size());
      for (const json::value& k : *list) {
        const std::string thumb = bot::ed25519_thumbprint(text_of(k.as_object().at("x")));
        FUZZ_CHECK(thumb.size() == 43);  // base64url of 32 bytes, unpadded
        auto it = found->by_thumbprint.find(thumb);
        FUZZ_CHECK(it != found->by_thumbprint.end() && it->second != nullptr);
      }
    }
  }
  return 0;
}
