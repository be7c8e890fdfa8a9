#pragma once
// Helpers for the cache tests: header lists from literals, and a canonical one-line
// description of a CacheControl that table rows compare against.

#include <string>
#include <vector>

#include "cache/cache_control.h"
#include "http/message.h"

namespace rampart::cache::test {

using Headers = std::vector<http::Header>;

inline void describe_delta(std::string& out, std::string_view name, const DeltaDirective& d) {
  if (!d.present) return;
  if (!out.empty()) out += ' ';
  out += std::string(name) + "=" + (d.valid ? std::to_string(d.seconds) : "invalid");
}

inline void describe_flag(std::string& out, std::string_view name, bool on) {
  if (!on) return;
  if (!out.empty()) out += ' ';
  out += name;
}

inline void describe_list(std::string& out, std::string_view name,
                          const std::vector<std::string>& fields) {
  if (fields.empty()) return;
  if (!out.empty()) out += ' ';
  out += std::string(name) + "=";
  for (size_t i = 0; i < fields.size(); ++i) out += (i ? "," : "") + fields[i];
}

// Directives in a fixed order, e.g. "max-age=60 no-cache=set-cookie public".
inline std::string describe(const CacheControl& cc) {
  std::string out;
  describe_delta(out, "max-age", cc.max_age);
  describe_delta(out, "s-maxage", cc.s_maxage);
  describe_flag(out, "max-stale", cc.max_stale_any);
  describe_delta(out, "max-stale", cc.max_stale);
  describe_delta(out, "min-fresh", cc.min_fresh);
  describe_delta(out, "swr", cc.stale_while_revalidate);
  describe_delta(out, "sie", cc.stale_if_error);
  describe_flag(out, "no-store", cc.no_store);
  describe_flag(out, "no-cache", cc.no_cache);
  describe_list(out, "no-cache", cc.no_cache_fields);
  describe_flag(out, "private", cc.private_all);
  describe_list(out, "private", cc.private_fields);
  describe_flag(out, "public", cc.is_public);
  describe_flag(out, "must-revalidate", cc.must_revalidate);
  describe_flag(out, "proxy-revalidate", cc.proxy_revalidate);
  describe_flag(out, "must-understand", cc.must_understand);
  describe_flag(out, "no-transform", cc.no_transform);
  describe_flag(out, "immutable", cc.immutable);
  describe_flag(out, "only-if-cached", cc.only_if_cached);
  describe_flag(out, "TRUNCATED", cc.truncated);
  if (!cc.valid) describe_flag(out, "INVALID", true);
  return out;
}

}  // namespace rampart::cache::test
