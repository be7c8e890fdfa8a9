// The walker's rate-limit rules (config-wide and per site). Expressions are captured
// with their positions here and compiled by modules/rate_limit/.

#include <charconv>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config {
namespace {

constexpr std::string_view kIpPrefix = "ip.src/";

bool parse_length(std::string_view text, int max, int& out) {
  if (text.empty() || text.size() > 3) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out >= 1 && out <= max;
}

}  // namespace

bool parse_ip_prefix_characteristic(std::string_view text, int& v4, int& v6) {
  if (text.substr(0, kIpPrefix.size()) != kIpPrefix) return false;
  std::string_view rest = text.substr(kIpPrefix.size());
  size_t slash = rest.find('/');
  v6 = 64;
  if (!parse_length(rest.substr(0, slash), 32, v4)) return false;
  return slash == std::string_view::npos || parse_length(rest.substr(slash + 1), 128, v6);
}

namespace detail {
namespace {

const Keys kRateLimitKeys = {"rules"};
const Keys kRateLimitRuleKeys = {
    "id",     "description",         "expression",         "characteristics",
    "period", "requests_per_period", "mitigation_timeout", "counting_expression",
    "action", "response_headers",    "max_keys",           "enabled"};
const Keys kRateLimitActions = {"block", "challenge", "js_challenge", "managed_challenge", "log"};

std::optional<RuleAction> rate_limit_action(std::string_view name) {
  for (RuleAction a : {RuleAction::kBlock, RuleAction::kChallenge, RuleAction::kJsChallenge,
                       RuleAction::kManagedChallenge, RuleAction::kLog}) {
    if (rule_action_name(a) == name) return a;
  }
  return std::nullopt;
}

}  // namespace

void Walker::rate_limit_rules(const At& at, RateLimitRules& out, std::vector<RuleSource>& sources) {
  fields(at, kRateLimitKeys, "", [&](std::string_view, const At& v) {
    items(v, kMaxRateLimitRulesPerList, "rate-limit rules",
          [&](const At& item, size_t) { rate_limit_rule(item, out, sources); });
  });
}

void Walker::rate_limit_rule(const At& at, RateLimitRules& out, std::vector<RuleSource>& sources) {
  if (!at.node.IsMap()) {
    wrong_type(at,
               "a rate-limit rule map with id, expression, characteristics, period and "
               "requests_per_period");
    return;
  }
  RateLimitRule r;
  RuleHead head = rule_head(at, r);
  bool has_characteristics = false, has_period = false, has_requests = false;
  fields(at, kRateLimitRuleKeys, "", [&](std::string_view key, const At& v) {
    if (rule_head_key(key, v, r, head)) return;
    if (key == "characteristics") {
      has_characteristics = true;
      rate_limit_characteristics(v, r);
    } else if (key == "period") {
      has_period = true;
      if (auto d = duration_in(v, std::chrono::seconds(1), std::chrono::hours(1))) r.period = *d;
    } else if (key == "requests_per_period") {
      has_requests = true;
      if (auto n = integer(v, 1, 1'000'000)) r.requests_per_period = *n;
    } else if (key == "mitigation_timeout") {
      if (auto d = duration_in(v, Millis(0), std::chrono::hours(24))) r.mitigation_timeout = *d;
    } else if (key == "counting_expression") {
      r.counting_expression = expression(v);
    } else if (key == "action") {
      if (auto name = one_of(v, kRateLimitActions)) {
        if (auto a = rate_limit_action(*name)) r.action = *a;
      }
    } else if (key == "response_headers") {
      if (auto b = boolean(v)) r.response_headers = *b;
    } else if (key == "max_keys") {
      if (auto n = integer(v, 1'000, kMaxRateLimitKeysPerRule)) r.max_keys = *n;
    }
  });
  if (diags_.stopped()) return;
  missing_rule_head(at, head, "use \"true\" for every request");
  if (!has_characteristics) missing(at.pos, at.path, "characteristics", "e.g. [ip.src]");
  if (!has_period) missing(at.pos, at.path, "period", "");
  if (!has_requests) missing(at.pos, at.path, "requests_per_period", "");
  out.rules.push_back(std::move(r));
  sources.push_back(std::move(head.source));
}

void Walker::rate_limit_characteristics(const At& at, RateLimitRule& r) {
  if (at.node.IsSequence() && at.node.size() == 0) {
    error(at, "characteristics is empty; name at least one, e.g. ip.src");
    return;
  }
  items(at, kMaxRateLimitCharacteristics, "characteristics", [&](const At& item, size_t) {
    auto text = expression(item);
    if (!text) return;
    int v4 = 0, v6 = 0;
    if (text->text.substr(0, kIpPrefix.size()) == kIpPrefix &&
        !parse_ip_prefix_characteristic(text->text, v4, v6)) {
      error(item, quote(text->text) +
                      " is not an address prefix: write ip.src/<1-32> or "
                      "ip.src/<1-32>/<1-128> (the IPv4, then the IPv6 prefix length)");
      return;
    }
    for (const SourceText& seen : r.characteristics) {
      if (seen.text == text->text) {
        error(item, quote(text->text) + " is repeated; the first is at line " +
                        std::to_string(seen.line));
        return;
      }
    }
    r.characteristics.push_back(std::move(*text));
  });
}

}  // namespace detail
}  // namespace rampart::config
