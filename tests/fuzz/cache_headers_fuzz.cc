// Fuzzes the cache's header parsers and the decisions built on them. The first eight
// bytes are a representation length (for Range) and a timestamp; the rest is split at
// '\n' into header values that play several roles at once.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cache_control.h"
#include "cache/conditional.h"
#include "cache/freshness.h"
#include "cache/http_date.h"
#include "cache/range.h"
#include "cache/storability.h"
#include "cache/vary.h"
#include "fuzz_check.h"
#include "http/message.h"

namespace {

using namespace rampart::cache;
using rampart::http::Header;
using rampart::http::iequals;

constexpr int64_t kDeltaMax = int64_t{1} << 31;

void check_delta(const DeltaDirective& d) {
  if (d.usable()) FUZZ_CHECK(d.seconds >= 0 && d.seconds <= kDeltaMax);
}

void check_fields(const std::vector<std::string>& fields) {
  for (const std::string& f : fields) {
    FUZZ_CHECK(!f.empty());
    for (char c : f) FUZZ_CHECK(!(c >= 'A' && c <= 'Z') && c != ',' && c != ' ');
  }
}

void check_cc(const CacheControl& cc) {
  FUZZ_CHECK(cc.directives <= kMaxDirectives);
  for (const DeltaDirective* d : {&cc.max_age, &cc.s_maxage, &cc.max_stale, &cc.min_fresh,
                                  &cc.stale_while_revalidate, &cc.stale_if_error}) {
    check_delta(*d);
  }
  check_fields(cc.no_cache_fields);
  check_fields(cc.private_fields);
}

void check_dates(std::string_view text, int64_t now) {
  for (const std::optional<int64_t> t : {parse_http_date(text), parse_http_date(text, now)}) {
    if (!t) continue;
    const std::string formatted = format_http_date(*t);
    FUZZ_CHECK(formatted.size() == 29);
    FUZZ_CHECK(parse_http_date(formatted) == t);
  }
  // Any timestamp formats to something that parses back to the clamped value.
  const std::string any = format_http_date(now);
  const std::optional<int64_t> back = parse_http_date(any);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(format_http_date(*back) == any);
}

void check_range(std::string_view value, uint64_t length) {
  const RangeResult r = parse_range(value, length);
  if (r.status != RangeStatus::kSatisfiable) {
    FUZZ_CHECK(r.ranges.empty());
    if (r.status == RangeStatus::kUnsatisfiable) (void)format_unsatisfied_range(length);
    return;
  }
  FUZZ_CHECK(!r.ranges.empty() && r.ranges.size() <= RangeLimits{}.max_ranges);
  for (size_t i = 0; i < r.ranges.size(); ++i) {
    const ByteRange& b = r.ranges[i];
    FUZZ_CHECK(b.first <= b.last && b.last < length);
    if (i > 0) FUZZ_CHECK(b.first > r.ranges[i - 1].last + 1);  // disjoint, not adjacent
    FUZZ_CHECK(format_content_range(b, length).rfind("bytes ", 0) == 0);
  }
}

void check_etags(std::string_view a, std::string_view b) {
  for (std::string_view text : {a, b}) {
    const std::optional<EntityTag> t = parse_entity_tag(text);
    if (!t) continue;
    FUZZ_CHECK(t->opaque.size() <= kMaxEntityTagBytes);
    FUZZ_CHECK(weak_match(*t, *t));
    FUZZ_CHECK(strong_match(*t, *t) == !t->weak);
    // A stored response whose tag the client sends back is not modified.
    const std::vector<Header> stored = {{"ETag", text}};
    const std::vector<Header> request = {{"If-None-Match", text}};
    FUZZ_CHECK(evaluate_conditional("GET", request, 200, stored, 0) ==
               ConditionalResult::kNotModified);
    FUZZ_CHECK(evaluate_conditional("POST", request, 200, stored, 0) ==
               ConditionalResult::kSendFull);
  }
  const std::vector<Header> star = {{"If-None-Match", "*"}};
  const std::vector<Header> stored = {{"ETag", b}};
  FUZZ_CHECK(evaluate_conditional("GET", star, 200, stored, 0) == ConditionalResult::kNotModified);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  uint64_t raw = 0;
  std::memcpy(&raw, data, 8);
  const uint64_t length = (raw & 1) ? raw >> 1 : (raw >> 1) % 100000;
  const auto now = static_cast<int64_t>(raw);
  const std::string_view in(reinterpret_cast<const char*>(data + 8), size - 8);

  std::vector<std::string_view> parts;
  size_t start = 0;
  while (parts.size() < 7) {
    const size_t nl = in.find('\n', start);
    parts.push_back(in.substr(start, nl == std::string_view::npos ? in.npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  while (parts.size() < 7) parts.emplace_back();

  // Cache-Control over two lines, and the same text as CDN-Cache-Control.
  const std::vector<Header> response = {
      {"Cache-Control", parts[0]}, {"cache-control", parts[1]}, {"Date", parts[2]},
      {"Expires", parts[3]},       {"Last-Modified", parts[2]}, {"Age", parts[4]},
      {"ETag", parts[5]},          {"Vary", parts[6]},          {"CDN-Cache-Control", parts[0]}};
  const CacheControl cc = parse_cache_control(response);
  check_cc(cc);
  const CacheControl cdn = parse_cdn_cache_control(response);
  check_cc(cdn);

  check_dates(parts[2], now);
  check_range(parts[3], length);
  check_etags(parts[4], parts[5]);

  // Freshness and age stay within delta-seconds.
  const std::optional<CacheControl> over = cdn_override_of(response);
  const Freshness f = compute_freshness(200, response, true, now, over ? &*over : nullptr);
  FUZZ_CHECK(f.lifetime >= 0 && f.lifetime <= kDeltaMax);
  FUZZ_CHECK(f.stale_while_revalidate >= 0 && f.stale_if_error >= 0);
  // The driver's own arithmetic must not overflow: times kept within ±2^62.
  const int64_t t = std::clamp<int64_t>(now, -(int64_t{1} << 62), int64_t{1} << 62);
  const int64_t later = t + static_cast<int64_t>(length % (uint64_t{1} << 61));
  const int64_t age = current_age(response, t - 3, t, later);
  FUZZ_CHECK(age >= 0 && age <= kDeltaMax);
  (void)decide_use(f, age, &cc);

  // Vary: the key is bounded and the same for the same request.
  const std::vector<Header> request = {{"Accept", parts[1]},        {"Accept-Encoding", parts[4]},
                                       {"If-None-Match", parts[4]}, {"If-Modified-Since", parts[2]},
                                       {"Cache-Control", parts[5]}, {"Range", parts[3]}};
  const VaryFields vary = parse_vary(response);
  FUZZ_CHECK(vary.names.size() <= kMaxVaryFields);
  const VaryKey key = build_vary_key(vary, request);
  FUZZ_CHECK(key.key.size() <= kMaxVaryKeyBytes);
  if (key.status != VaryStatus::kOk) FUZZ_CHECK(key.key.empty());
  FUZZ_CHECK(build_vary_key(response, request).key == key.key);
  // Whitespace after a comma (outside quoted strings) does not change the key.
  if (key.status == VaryStatus::kOk && parts[1].find('"') == std::string_view::npos) {
    std::string tight(parts[1]);
    for (size_t at = tight.find(", "); at != std::string::npos; at = tight.find(", ", at)) {
      tight.erase(at + 1, 1);
    }
    std::vector<Header> request2 = request;
    request2[0].value = tight;
    FUZZ_CHECK(build_vary_key(vary, request2).key == key.key);
  }

  const StoreVerdict v = check_storable("GET", request, 200, response, over ? &*over : nullptr);
  FUZZ_CHECK(!v.reason.empty() && v.storable == (v.reason == "ok"));
  if (vary.status == VaryStatus::kStar) FUZZ_CHECK(!v.storable);

  (void)evaluate_conditional("GET", request, 200, response, now);
  for (const Header& h : not_modified_headers(response)) {
    FUZZ_CHECK(!iequals(h.name, "content-length"));
  }
  // An origin 304 made of the same lines never brings framing into the stored fields.
  const std::vector<Header> not_modified = {
      {parts[6], parts[0]}, {"Content-Length", parts[1]}, {"Connection", parts[6]}};
  for (const OwnedHeader& h : update_stored_headers(response, not_modified)) {
    FUZZ_CHECK(!iequals(h.name, "content-length"));
  }
  return 0;
}
