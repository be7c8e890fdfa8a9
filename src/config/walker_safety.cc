// The walker's `safety:` section (SafetySettings).

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kSafetyKeys = {"config_header", "error_log_burst", "error_log_interval"};

}  // namespace

void Walker::safety(const At& at) {
  SafetySettings& s = cfg_.safety;
  fields(at, kSafetyKeys, "", [&](std::string_view key, const At& v) {
    if (key == "config_header") {
      if (auto b = boolean(v)) s.config_header = *b;
    } else if (key == "error_log_burst") {
      if (auto n = integer(v, 1, 1'000)) s.error_log_burst = static_cast<uint32_t>(*n);
    } else if (key == "error_log_interval") {
      if (auto d = duration_in(v, Millis(100), Millis(3'600'000))) s.error_log_interval = *d;
    }
  });
}

}  // namespace rampart::config::detail
