#pragma once
// The config side of the rules language: expressions as written (with positions for
// errors), rule actions and their parameters, rulesets and named lists. Compiled by rules/.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ip_range_set.h"
#include "core/live_ip_set.h"

namespace rampart::config {

// An expression exactly as written, with a map from offsets in `text` back to the
// file, so an error inside an expression can point at the offending token.
struct SourceText {
  struct Line {
    size_t offset = 0;  // where this source line starts in `text`
    int line = 0;       // its 1-based line and column in the file
    int column = 0;
  };
  std::string text;
  int line = 0;  // where the YAML value starts
  int column = 0;
  // One entry per source line when `text` appears verbatim in the file (plain or
  // quoted without escapes, or a literal block); empty when YAML folded or unescaped
  // it, and then positions fall back to the value's start.
  std::vector<Line> lines;

  struct Position {
    int line = 0;
    int column = 0;
  };
  Position locate(size_t offset) const;
};

enum class RuleAction : uint8_t {
  kBlock,
  kAllow,      // skip the remaining firewall rules and the later security phases
  kLog,        // record the match and go on
  kSkip,       // skip named later rules, phases, or the rest of the firewall
  kChallenge,  // the three challenges record a verdict; the bot phase serves it
  kJsChallenge,
  kManagedChallenge,
  kRedirect,
  kRewrite,
  kRoute,  // send the request to another pool (or failover list) than the site's
};

std::string_view rule_action_name(RuleAction action);

// A value that is either a literal or an expression of the rules language yielding a
// string (redirect targets, rewritten paths and queries).
struct DynamicValue {
  std::string literal;
  std::optional<SourceText> expression;  // set: evaluated per request; literal unused
};

// Every action's parameters in one struct; the loader allows only the keys that the
// rule's action uses.
struct ActionParameters {
  // block
  int status_code = 403;
  std::string content_type;  // empty: rampart's own error page (HTML, or JSON if asked)
  std::string content;
  // skip
  std::vector<std::string> skip_rules;   // ids of later rules
  std::vector<std::string> skip_phases;  // later security phases: rate_limit, bot, waf
  bool skip_remaining_rules = false;     // the rest of the firewall rules
  // Managed-WAF (SecLang) rules not to run for the request: ids and inclusive id ranges.
  std::vector<std::pair<int64_t, int64_t>> skip_waf_rules;
  // redirect
  std::optional<DynamicValue> target_url;
  int redirect_status = 302;  // 301, 302, 303, 307 or 308
  bool preserve_query_string = false;
  // rewrite
  std::optional<DynamicValue> rewrite_path;
  std::optional<DynamicValue> rewrite_query;
  // route
  std::vector<std::string> route_pools;  // failover order
  std::string route_fallback;
};

struct Rule {
  std::string id;  // unique in a config (a label: also a metrics label)
  std::string description;
  SourceText expression;
  RuleAction action = RuleAction::kLog;
  ActionParameters parameters;
  bool enabled = true;
  bool logging = true;  // false: a match is counted but not listed in the access log
  int line = 0;         // where the rule's list item starts
  int column = 0;
};

struct Ruleset {
  std::vector<Rule> rules;  // evaluated in order
};

enum class ListKind : uint8_t { kIp };

// A named list, referenced from expressions as `$name`.
struct NamedList {
  std::string name;
  ListKind kind = ListKind::kIp;
  std::string file;  // empty: the items were inline in the YAML
  // The entries as read when the config was loaded (guard settings merge these).
  std::shared_ptr<const core::IpRangeSet> ips;
  // What rule expressions read: fixed for inline items; for a file, live — replaced by
  // the list's data feed while serving.
  std::shared_ptr<core::LiveIpSet> live;
  // A file's data-feed limits.
  uint64_t max_entries = 0, max_bytes = 0;
  double max_change = 0.5;  // fraction; 0 disables the held-back check
  int line = 0;             // where the list is defined
  int column = 0;
};

}  // namespace rampart::config
