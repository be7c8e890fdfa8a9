// The walker's `ddos:` section of a site: the adaptive layer-7 DDoS mitigation's
// sensitivity, action, under-attack switch and windows (modules/ddos/).

#include <string>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kDdosKeys = {"sensitivity",     "action",        "block_high_confidence",
                        "under_attack",    "min_rate",      "learning_period",
                        "baseline_window", "withdraw_after"};
const Keys kSensitivities = {"off", "low", "medium", "high"};
const Keys kDdosActions = {"challenge", "js_challenge", "managed_challenge", "block", "log"};

}  // namespace

void Walker::site_ddos(const At& at, SiteDdos& out) {
  out.configured = true;
  fields(at, kDdosKeys, "ddos", [&](std::string_view key, const At& v) {
    if (key == "sensitivity") {
      if (auto s = one_of(v, kSensitivities)) {
        out.sensitivity = *s == "off"    ? DdosSensitivity::kOff
                          : *s == "low"  ? DdosSensitivity::kLow
                          : *s == "high" ? DdosSensitivity::kHigh
                                         : DdosSensitivity::kMedium;
      }
    } else if (key == "action") {
      if (auto a = one_of(v, kDdosActions)) {
        out.action = *a == "challenge"           ? RuleAction::kChallenge
                     : *a == "js_challenge"      ? RuleAction::kJsChallenge
                     : *a == "managed_challenge" ? RuleAction::kManagedChallenge
                     : *a == "block"             ? RuleAction::kBlock
                                                 : RuleAction::kLog;
      }
    } else if (key == "block_high_confidence") {
      if (auto b = boolean(v)) out.block_high_confidence = *b;
    } else if (key == "under_attack") {
      if (auto b = boolean(v)) out.under_attack = *b;
    } else if (key == "min_rate") {
      if (auto n = integer(v, 1, 10'000'000)) out.min_rate = static_cast<uint32_t>(*n);
    } else if (key == "learning_period") {
      if (auto d = duration_in(v, Millis{0}, Millis{7 * 24 * 3600 * 1000LL})) {
        out.learning_period = *d;
      }
    } else if (key == "baseline_window") {
      if (auto d = duration_in(v, Millis{1000}, Millis{7 * 24 * 3600 * 1000LL})) {
        out.baseline_window = *d;
      }
    } else if (key == "withdraw_after") {
      if (auto d = duration_in(v, Millis{1000}, Millis{24 * 3600 * 1000LL})) {
        out.withdraw_after = *d;
      }
    }
  });
}

}  // namespace rampart::config::detail
