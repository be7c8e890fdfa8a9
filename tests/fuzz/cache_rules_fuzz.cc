// Fuzzes what cache rules do with request and response text: the key built from a query,
// headers and cookies; the deception armor's reading of a path; the client's
// Cache-Control under a browser TTL. The input is split at '\n' into a path, a query,
// a header value, a Cookie value and a response Cache-Control / Content-Type.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_key.h"
#include "cache/deception_armor.h"
#include "cache/key_options.h"
#include "cache/ttl_policy.h"
#include "fuzz_check.h"
#include "http/message.h"

namespace {

using namespace rampart::cache;
using rampart::http::Header;

// The arguments of a key query, each as sent.
std::vector<std::string_view> split_args(std::string_view q) {
  std::vector<std::string_view> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    if (amp != 0) out.push_back(q.substr(0, amp));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() < 5) {
    const size_t nl = in.find('\n', start);
    parts.push_back(in.substr(start, nl == std::string_view::npos ? in.npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  while (parts.size() < 5) parts.emplace_back();
  const std::string_view path = parts[0];
  const std::string_view query = parts[1];

  const std::vector<std::string> names = {"a", "b", "utm_source", std::string(parts[2])};
  const std::vector<std::string> header_names = {"x-device"};
  const std::vector<std::string> cookie_names = {"lang", "sid"};
  const std::vector<Header> request = {
      {"X-Device", parts[2]}, {"Cookie", parts[3]}, {"x-device", parts[3]}};

  for (QueryFilter filter :
       {QueryFilter::kAll, QueryFilter::kInclude, QueryFilter::kExclude, QueryFilter::kNone}) {
    for (bool sort : {false, true}) {
      KeyOptions o;
      o.sort_query = sort;
      o.query = filter;
      o.query_names = names;
      o.headers = header_names;
      o.cookies = cookie_names;
      const auto q = key_query(query, o);
      if (!q) {
        FUZZ_CHECK(sort || filter != QueryFilter::kAll);
        continue;
      }
      FUZZ_CHECK(q->size() <= query.size());
      if (filter == QueryFilter::kNone) FUZZ_CHECK(q->empty());
      // Every argument kept is one the client sent, byte for byte.
      if (filter != QueryFilter::kAll || sort) {
        const auto sent = split_args(query);
        for (std::string_view arg : split_args(*q)) {
          bool found = false;
          for (std::string_view s : sent) found |= s == arg;
          FUZZ_CHECK(found);
        }
        // Filtering and ordering a key query again changes nothing.
        const auto again = key_query(*q, o);
        FUZZ_CHECK(again && *again == *q);
      }
      const auto key = build_custom_key("h.example", path, query, request, o);
      if (key) {
        FUZZ_CHECK(key->size() <= kMaxCustomKeyBytes);
        // Purge by the key's URL finds it.
        std::string url(path.empty() ? std::string_view("/") : path);
        if (!q->empty()) url.append("?").append(*q);
        FUZZ_CHECK(is_key_or_variant(*key, make_key("h.example", url)));
      }
    }
  }

  const std::string ext = path_extension(path);
  for (char c : ext) FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
  const ArmorVerdict verdict = check_deception_armor(path, parts[4]);
  if (ext.empty()) FUZZ_CHECK(verdict == ArmorVerdict::kNoExtension);

  const std::vector<Header> response = {{"Cache-Control", parts[4]}, {"Expires", parts[3]}};
  for (BrowserMode mode :
       {BrowserMode::kRespectOrigin, BrowserMode::kOverrideOrigin, BrowserMode::kBypass}) {
    const auto cc = browser_cache_control(mode, 600, 200, response);
    if (mode == BrowserMode::kRespectOrigin) FUZZ_CHECK(!cc);
    if (cc) FUZZ_CHECK(cc->size() < 64);
  }
  (void)origin_gives_lifetime(response, nullptr);
  return 0;
}
