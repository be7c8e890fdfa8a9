// The walker's rule action parameters: which keys each action takes, and their values.

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kBlockParameters = {"status_code", "content_type", "content"};
const Keys kSkipParameters = {"rules", "phases", "remaining_rules", "waf_rules"};
const Keys kRedirectParameters = {"target_url", "status_code", "preserve_query_string"};
const Keys kRewriteParameters = {"path", "query"};
const Keys kRouteParameters = {"pool", "pools", "fallback"};
const Keys kNoParameters = {};
const Keys kContentTypes = {"text/html", "text/plain", "application/json", "text/xml"};
const Keys kSkipPhases = {"rate_limit", "bot", "waf"};
constexpr size_t kMaxUrlBytes = 2048;

const Keys& parameters_of(RuleAction action) {
  switch (action) {
    case RuleAction::kBlock:
      return kBlockParameters;
    case RuleAction::kSkip:
      return kSkipParameters;
    case RuleAction::kRedirect:
      return kRedirectParameters;
    case RuleAction::kRewrite:
      return kRewriteParameters;
    case RuleAction::kRoute:
      return kRouteParameters;
    default:
      return kNoParameters;
  }
}

std::string join(const Keys& keys) {
  std::string out;
  for (std::string_view k : keys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

}  // namespace

void Walker::action_parameters(const At& at, RuleAction action, ActionParameters& params,
                               RuleSource& src) {
  switch (action) {
    case RuleAction::kBlock:
      return block_parameters(at, params);
    case RuleAction::kSkip:
      return skip_parameters(at, params, src);
    case RuleAction::kRedirect:
      return redirect_parameters(at, params);
    case RuleAction::kRewrite:
      return rewrite_parameters(at, params);
    case RuleAction::kRoute:
      return route_parameters(at, params, src);
    default:
      fields_or(
          at, kNoParameters,
          [&](const At& key_at, const std::string& key) { unknown_parameter(key_at, key, action); },
          [](std::string_view, const At&) {});
  }
}

void Walker::unknown_parameter(const At& key_at, const std::string& key, RuleAction action) {
  const Keys& known = parameters_of(action);
  std::string msg = quote(key) + " is not a parameter of the " +
                    std::string(rule_action_name(action)) + " action";
  if (known.empty()) {
    error(key_at, msg + ", which takes none");
    return;
  }
  msg += "; it takes: " + join(known);
  if (std::string best = closest_match(key, known); !best.empty()) {
    msg += "; did you mean \"" + best + "\"?";
  }
  error(key_at, msg);
}

void Walker::block_parameters(const At& at, ActionParameters& params) {
  std::optional<At> content_at;
  bool has_type = false;
  bool is_map = fields_or(
      at, kBlockParameters,
      [&](const At& key_at, const std::string& key) {
        unknown_parameter(key_at, key, RuleAction::kBlock);
      },
      [&](std::string_view key, const At& v) {
        if (key == "status_code") {
          if (auto n = integer(v, 400, 599)) params.status_code = static_cast<int>(*n);
        } else if (key == "content_type") {
          has_type = true;
          if (auto s = one_of(v, kContentTypes)) params.content_type = *s;
        } else if (key == "content") {
          content_at = v;
          auto s = string(v);
          if (s && s->size() > kMaxBlockContentBytes) {
            error(v, "the content is " + std::to_string(s->size()) + " bytes; the limit is " +
                         format_size(kMaxBlockContentBytes));
          } else if (s) {
            params.content = *s;
          }
        }
      });
  // The type cannot be guessed from the content, and a wrong guess is an XSS hazard.
  if (is_map && content_at && !has_type) {
    missing(at.pos, at.path, "content_type", "a block with content needs its type");
  }
}

// A managed-rule id (942100) or an inclusive range ("942000-942999").
std::optional<std::pair<int64_t, int64_t>> Walker::waf_rule_range(const At& at) {
  if (!at.node.IsScalar()) {
    wrong_type(at, "a rule id or a range such as \"942000-942999\"");
    return std::nullopt;
  }
  const std::string& text = at.node.Scalar();
  size_t dash = text.find('-');
  auto number = [](std::string_view t) -> std::optional<int64_t> {
    if (t.empty() || t.size() > 12) return std::nullopt;
    int64_t n = 0;
    for (char c : t) {
      if (c < '0' || c > '9') return std::nullopt;
      n = n * 10 + (c - '0');
    }
    return n > 0 ? std::optional<int64_t>(n) : std::nullopt;
  };
  auto first = number(std::string_view(text).substr(0, dash));
  auto last = dash == std::string::npos ? first : number(std::string_view(text).substr(dash + 1));
  if (!first || !last || *last < *first) {
    error(at, quote(text) + " is not a rule id or an id range such as \"942000-942999\"");
    return std::nullopt;
  }
  return std::make_pair(*first, *last);
}

void Walker::skip_parameters(const At& at, ActionParameters& params, RuleSource& src) {
  bool bad = false;
  bool is_map = fields_or(
      at, kSkipParameters,
      [&](const At& key_at, const std::string& key) {
        bad = true;
        unknown_parameter(key_at, key, RuleAction::kSkip);
      },
      [&](std::string_view key, const At& v) {
        if (key == "rules") {
          bad |= !items(v, kMaxRulesPerRuleset, "rule ids", [&](const At& item, size_t) {
            auto id = string(item);
            if (id && !is_label(*id)) {
              error(item, quote(*id) + " is not a valid rule id");
              id.reset();
            }
            if (!id) {
              bad = true;
              return;
            }
            params.skip_rules.push_back(*id);
            src.skip_rules.push_back(item.pos);
            src.skip_paths.push_back(item.path);
          });
        } else if (key == "phases") {
          bad |= !items(v, kSkipPhases.size(), "phases", [&](const At& item, size_t) {
            auto phase = one_of(item, kSkipPhases);
            if (!phase) {
              bad = true;
            } else if (std::find(params.skip_phases.begin(), params.skip_phases.end(), *phase) !=
                       params.skip_phases.end()) {
              error(item, "phase " + quote(*phase) + " is listed twice");
              bad = true;
            } else {
              params.skip_phases.push_back(*phase);
            }
          });
        } else if (key == "remaining_rules") {
          auto b = boolean(v);
          if (b) params.skip_remaining_rules = *b;
          bad |= !b;
        } else if (key == "waf_rules") {
          bad |= !items(v, kMaxRulesPerRuleset, "WAF rule ids", [&](const At& item, size_t) {
            auto range = waf_rule_range(item);
            if (!range) {
              bad = true;
              return;
            }
            params.skip_waf_rules.push_back(*range);
          });
        }
      });
  // A skip that skips nothing is a mistake, not a no-op to keep quietly.
  if (is_map && !bad && params.skip_rules.empty() && params.skip_phases.empty() &&
      !params.skip_remaining_rules && params.skip_waf_rules.empty()) {
    error(at,
          "a skip rule needs at least one of: rules (ids of later rules), phases "
          "(rate_limit, bot, waf), remaining_rules: true, waf_rules (managed rule ids)");
  }
}

void Walker::redirect_parameters(const At& at, ActionParameters& params) {
  bool has_target = false;
  bool is_map = fields_or(
      at, kRedirectParameters,
      [&](const At& key_at, const std::string& key) {
        unknown_parameter(key_at, key, RuleAction::kRedirect);
      },
      [&](std::string_view key, const At& v) {
        if (key == "target_url") {
          has_target = true;
          params.target_url =
              dynamic_value(v, "a URL, a path or {expression: ...}", &Walker::redirect_to);
        } else if (key == "status_code") {
          auto n = integer(v, 0, 999);
          if (n && *n != 301 && *n != 302 && *n != 303 && *n != 307 && *n != 308) {
            error(v,
                  std::to_string(*n) + " is not a redirect status; use 301, 302, 303, 307 or 308");
            n.reset();
          }
          if (n) params.redirect_status = static_cast<int>(*n);
        } else if (key == "preserve_query_string") {
          if (auto b = boolean(v)) params.preserve_query_string = *b;
        }
      });
  if (is_map && !has_target) missing(at.pos, at.path, "target_url", "a redirect needs a target");
}

void Walker::rewrite_parameters(const At& at, ActionParameters& params) {
  bool given = false;
  bool is_map = fields_or(
      at, kRewriteParameters,
      [&](const At& key_at, const std::string& key) {
        given = true;  // the unknown key is the error worth reading
        unknown_parameter(key_at, key, RuleAction::kRewrite);
      },
      [&](std::string_view key, const At& v) {
        given = true;
        if (key == "path") {
          params.rewrite_path =
              dynamic_value(v, "a path or {expression: ...}", &Walker::rewrite_path);
        } else if (key == "query") {
          params.rewrite_query =
              dynamic_value(v, "a query string or {expression: ...}", &Walker::rewrite_query);
        }
      });
  if (is_map && !given) error(at, "a rewrite rule needs path, query or both");
}

void Walker::route_parameters(const At& at, ActionParameters& params, RuleSource& src) {
  std::vector<At> forms;  // pool or pools: exactly one
  std::optional<At> fallback_at;
  bool is_map = fields_or(
      at, kRouteParameters,
      [&](const At& key_at, const std::string& key) {
        unknown_parameter(key_at, key, RuleAction::kRoute);
      },
      [&](std::string_view key, const At& v) {
        if (key == "pool") {
          forms.push_back(v);
          pool_ref(v, params.route_pools, src.pool_refs);
        } else if (key == "pools") {
          forms.push_back(v);
          pool_refs(v, params.route_pools, src.pool_refs);
        } else if (key == "fallback") {
          fallback_at = v;
          std::vector<std::string> name;
          pool_ref(v, name, src.pool_refs);
          if (!name.empty()) params.route_fallback = name.front();
        }
      });
  if (!is_map || diags_.stopped()) return;
  if (forms.empty()) {
    missing(at.pos, at.path, "pool", "or \"pools\"; a route names where the request goes");
  } else if (forms.size() > 1) {
    error(forms[1], "a route has either pool or pools, not both");
  } else if (fallback_at && !params.route_fallback.empty() &&
             std::find(params.route_pools.begin(), params.route_pools.end(),
                       params.route_fallback) != params.route_pools.end()) {
    error(*fallback_at, "pool " + quote(params.route_fallback) +
                            " is already in the failover list; the fallback is used when none "
                            "of those can serve");
  }
}

bool Walker::rewrite_path(const At& at, const std::string& path) {
  if (path.empty() || path[0] != '/') {
    error(at, quote(path) + " must be a path starting with \"/\"");
  } else if (path.size() > kMaxUrlBytes) {
    error(at, "the path is longer than 2048 characters");
  } else if (has_space_or_control(path)) {
    error(at, quote(path) + " contains spaces or control characters");
  } else if (path.find_first_of("?#") != std::string::npos) {
    error(at, quote(path) + ": the path may not hold \"?\" or \"#\"; set the query with query");
  } else {
    return true;
  }
  return false;
}

bool Walker::rewrite_query(const At& at, const std::string& query) {
  if (!query.empty() && query[0] == '?') {
    error(at, quote(query) + ": write the query without the leading \"?\"");
  } else if (query.size() > kMaxUrlBytes) {
    error(at, "the query is longer than 2048 characters");
  } else if (has_space_or_control(query)) {
    error(at, quote(query) + " contains spaces or control characters");
  } else if (query.find('#') != std::string::npos) {
    error(at, quote(query) + ": a query may not hold \"#\"");
  } else {
    return true;
  }
  return false;
}

}  // namespace rampart::config::detail
