// The walker's `deployment:` section: staged activation of reloaded configs.

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kDeploymentKeys = {"canary_percent",
                              "window",
                              "max_error_rate_increase",
                              "max_latency_increase",
                              "min_requests",
                              "auto_promote",
                              "group",
                              "wait_timeout"};

}  // namespace

void Walker::deployment(const At& at) {
  Deployment& d = cfg_.deployment;
  d.enabled = true;
  if (at.node.IsNull()) return;  // `deployment:` alone: the defaults
  fields(at, kDeploymentKeys, "", [&](std::string_view key, const At& v) {
    if (key == "canary_percent") {
      // 0% would never try the candidate and 100% would not compare it with anything.
      if (auto p = percent(v, 100)) {
        if (*p == 0 || *p == 100) {
          error(v, quote(v.node.Scalar()) + " is out of range (1% to 99%)");
        } else {
          d.canary_percent = *p;
        }
      }
    } else if (key == "window") {
      if (auto w = duration_in(v, Millis(1'000), Millis(86'400'000))) d.window = *w;
    } else if (key == "max_error_rate_increase") {
      if (auto p = percent(v, 100)) d.max_error_rate_increase = *p;
    } else if (key == "max_latency_increase") {
      if (auto l = duration_in(v, Millis(0), Millis(600'000))) d.max_latency_increase = *l;
    } else if (key == "min_requests") {
      if (auto n = integer(v, 1, 1'000'000'000)) d.min_requests = static_cast<uint32_t>(*n);
    } else if (key == "auto_promote") {
      if (auto b = boolean(v)) d.auto_promote = *b;
    } else if (key == "group") {
      if (auto n = integer(v, 0, 1'000)) d.group = static_cast<uint32_t>(*n);
    } else if (key == "wait_timeout") {
      if (auto w = duration_in(v, Millis(1'000), Millis(604'800'000))) d.wait_timeout = *w;
    }
  });
}

}  // namespace rampart::config::detail
