// @detectSQLi / @detectXSS: thin adapters onto rampart's own detectors
// (detect_sqli.cc, detect_xss.cc). @detectSQLi reports the fingerprint that matched as
// TX.0 when the rule captures, as ModSecurity does with libinjection's.

#include <memory>

#include "seclang/detect_sqli.h"
#include "seclang/detect_xss.h"
#include "seclang/operator_internal.h"

namespace rampart::seclang::detail {
namespace {

class DetectSqliOperator final : public Operator {
 public:
  MatchResult match(std::string_view input, std::string_view, Captures* captures) const override {
    std::string fingerprint;
    if (!detect_sqli(input, captures != nullptr ? &fingerprint : nullptr)) {
      return MatchResult::kNoMatch;
    }
    if (captures != nullptr) {
      captures->groups[0] = std::move(fingerprint);
      captures->count = 1;
    }
    return MatchResult::kMatch;
  }
};

class DetectXssOperator final : public Operator {
 public:
  MatchResult match(std::string_view input, std::string_view, Captures*) const override {
    return detect_xss(input) ? MatchResult::kMatch : MatchResult::kNoMatch;
  }
};

}  // namespace

std::unique_ptr<Operator> make_detect_operator(std::string_view name) {
  if (iequals(name, "detectSQLi")) return std::make_unique<DetectSqliOperator>();
  if (iequals(name, "detectXSS")) return std::make_unique<DetectXssOperator>();
  return nullptr;
}

}  // namespace rampart::seclang::detail
