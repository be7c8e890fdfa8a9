// The walker's `waf:` section (the managed WAF's settings; its rule files are compiled
// by the waf module when the snapshot is built).

#include <string>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kWafKeys = {"enabled",
                       "crs",
                       "crs_setup",
                       "crs_rules",
                       "files",
                       "rules",
                       "mode",
                       "paranoia_level",
                       "inbound_threshold",
                       "outbound_threshold",
                       "request_body_limit",
                       "time_budget",
                       "prefilter"};
const Keys kWafModes = {"block", "detect"};
constexpr size_t kMaxWafFiles = 256;

}  // namespace

void Walker::waf(const At& at) {
  WafSettings& w = cfg_.waf;
  w.enabled = true;
  w.line = at.pos.line;
  if (at.node.IsNull()) return;  // `waf:` alone: the CRS with the defaults
  fields(at, kWafKeys, "", [&](std::string_view key, const At& v) {
    auto path = [&](std::string& out) {
      auto s = string(v);
      if (!s) return;
      if (s->empty() || s->size() > 4096) {
        error(v, "expected a file path");
        return;
      }
      out = *s;
    };
    if (key == "enabled") {
      if (auto b = boolean(v)) w.enabled = *b;
    } else if (key == "crs") {
      if (auto b = boolean(v)) w.crs = *b;
    } else if (key == "crs_setup") {
      path(w.crs_setup);
    } else if (key == "crs_rules") {
      path(w.crs_rules);
    } else if (key == "files") {
      items(v, kMaxWafFiles, "waf files", [&](const At& item, size_t) {
        auto s = string(item);
        if (!s) return;
        if (s->empty()) {
          error(item, "expected a file path");
          return;
        }
        w.files.push_back(*s);
      });
    } else if (key == "rules") {
      if (auto s = string(v)) {
        w.rules = *s;
        w.rules_line = v.pos.line;
      }
    } else if (key == "mode") {
      if (auto s = one_of(v, kWafModes)) w.mode = *s;
    } else if (key == "paranoia_level") {
      if (auto n = integer(v, 1, 4)) w.paranoia_level = static_cast<uint32_t>(*n);
    } else if (key == "inbound_threshold") {
      if (auto n = integer(v, 1, 10000)) w.inbound_threshold = static_cast<uint32_t>(*n);
    } else if (key == "outbound_threshold") {
      if (auto n = integer(v, 1, 10000)) w.outbound_threshold = static_cast<uint32_t>(*n);
    } else if (key == "request_body_limit") {
      if (auto n = size(v, 0, 64ull << 20)) w.request_body_limit = *n;
    } else if (key == "prefilter") {
      if (auto b = boolean(v)) w.prefilter = *b;
    } else if (key == "time_budget") {
      if (auto d = duration_in(v, Millis(1), Millis(10'000))) w.time_budget = *d;
    }
  });
}

}  // namespace rampart::config::detail
