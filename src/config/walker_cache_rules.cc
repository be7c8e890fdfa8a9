// The walker's `sites[].cache` section: the site's switch and its cache rules (an
// expression plus the settings a match applies, in the shape of Cloudflare's
// set_cache_settings action parameters).

#include <chrono>
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

const Keys kSiteCacheKeys = {"enabled", "always_online", "serve_stale", "rules"};
const Keys kCacheRuleKeys = {"id",     "description",       "expression",
                             "action", "action_parameters", "enabled"};
const Keys kCacheActions = {"set_cache_settings"};
const Keys kCacheParameters = {"cache", "edge_ttl", "browser_ttl", "cache_key", "serve_stale"};
const Keys kEdgeTtlKeys = {"mode", "default", "status_code_ttl"};
const Keys kEdgeTtlModes = {"respect_origin", "override_origin", "bypass_by_default"};
const Keys kBrowserTtlKeys = {"mode", "default"};
const Keys kBrowserTtlModes = {"respect_origin", "override_origin", "bypass"};
const Keys kStatusTtlKeys = {"status_code", "status_code_range", "value"};
const Keys kStatusRangeKeys = {"from", "to"};
const Keys kCacheKeyKeys = {"ignore_query_strings_order", "cache_deception_armor", "custom_key"};
const Keys kCustomKeyKeys = {"query_string", "header", "cookie", "host"};
const Keys kQueryStringKeys = {"include", "exclude"};
const Keys kIncludeKeys = {"include"};
const Keys kHostKeys = {"resolved"};
const Keys kServeStaleKeys = {"disable_stale_while_updating", "disable_stale_if_error"};

constexpr size_t kMaxCacheRulesPerSite = 1'000;
constexpr size_t kMaxStatusTtls = 64;
constexpr size_t kMaxKeyNames = 64;
constexpr size_t kMaxKeyNameBytes = 256;
constexpr int64_t kMaxTtlSeconds = 365LL * 24 * 3600;

}  // namespace

void Walker::site_cache(const At& at, SiteCache& out, SiteSource& src) {
  fields(at, kSiteCacheKeys, "", [&](std::string_view key, const At& v) {
    if (key == "enabled") {
      if (auto b = boolean(v)) out.enabled = *b;
    } else if (key == "always_online") {
      if (auto b = boolean(v)) out.always_online = *b;
    } else if (key == "serve_stale") {
      if (auto b = boolean(v)) out.serve_stale = *b;
    } else if (key == "rules") {
      items(v, kMaxCacheRulesPerSite, "cache rules",
            [&](const At& item, size_t) { cache_rule(item, out.rules, src.cache_rules); });
    }
  });
}

void Walker::cache_rule(const At& at, std::vector<CacheRule>& out,
                        std::vector<RuleSource>& sources) {
  if (!at.node.IsMap()) {
    wrong_type(at, "a cache rule map with id, expression and action_parameters");
    return;
  }
  CacheRule r;
  RuleHead head = rule_head(at, r);
  bool has_params = false;
  fields(at, kCacheRuleKeys, "", [&](std::string_view key, const At& v) {
    if (rule_head_key(key, v, r, head)) return;
    if (key == "action") {
      one_of(v, kCacheActions);  // the only action of a cache rule; optional
    } else if (key == "action_parameters") {
      has_params = true;
      cache_settings(v, r.settings);
    }
  });
  if (diags_.stopped()) return;
  missing_rule_head(at, head, "");
  if (!has_params) missing(at.pos, at.path, "action_parameters", "what the rule sets");
  out.push_back(std::move(r));
  sources.push_back(std::move(head.source));
}

void Walker::cache_settings(const At& at, CacheRuleSettings& out) {
  bool given = false;
  bool is_map = fields(at, kCacheParameters, "", [&](std::string_view key, const At& v) {
    given = true;
    if (key == "cache") {
      out.cache = boolean(v);
    } else if (key == "edge_ttl") {
      out.edge_ttl = edge_ttl(v);
    } else if (key == "browser_ttl") {
      out.browser_ttl = browser_ttl(v);
    } else if (key == "cache_key") {
      cache_key(v, out);
    } else if (key == "serve_stale") {
      fields(v, kServeStaleKeys, "", [&](std::string_view k, const At& b) {
        if (k == "disable_stale_while_updating") {
          out.disable_stale_while_updating = boolean(b);
        } else {
          out.disable_stale_if_error = boolean(b);
        }
      });
    }
  });
  // A rule that sets nothing is a mistake, not a no-op to keep quietly.
  if (is_map && !given) {
    error(at, "a cache rule needs at least one of: " + std::string("cache, edge_ttl, ") +
                  "browser_ttl, cache_key, serve_stale");
  }
}

std::optional<int64_t> Walker::ttl_seconds(const At& at) {
  using namespace std::chrono_literals;
  auto d = duration_in(at, 0s, std::chrono::seconds(kMaxTtlSeconds));
  if (!d) return std::nullopt;
  if (d->count() % 1000 != 0) {
    error(at, quote(at.node.Scalar()) + ": a TTL is whole seconds");
    return std::nullopt;
  }
  return d->count() / 1000;
}

std::optional<EdgeTtl> Walker::edge_ttl(const At& at) {
  EdgeTtl out;
  bool ok = true;
  std::optional<At> default_at;
  std::optional<At> mode_at;
  bool is_map = fields(at, kEdgeTtlKeys, "", [&](std::string_view key, const At& v) {
    if (key == "mode") {
      mode_at = v;
      auto m = one_of(v, kEdgeTtlModes);
      if (!m) {
        ok = false;
      } else if (*m == "override_origin") {
        out.mode = EdgeTtlMode::kOverrideOrigin;
      } else if (*m == "bypass_by_default") {
        out.mode = EdgeTtlMode::kBypassByDefault;
      }
    } else if (key == "default") {
      default_at = v;
      out.default_seconds = ttl_seconds(v);
      ok &= out.default_seconds.has_value();
    } else if (key == "status_code_ttl") {
      ok &= status_ttls(v, out.status_ttls);
    }
  });
  if (!is_map || !ok) return std::nullopt;
  if (out.mode == EdgeTtlMode::kOverrideOrigin && !default_at) {
    missing(at.pos, at.path, "default", "override_origin needs the TTL to use");
    return std::nullopt;
  }
  if (out.mode == EdgeTtlMode::kBypassByDefault && default_at) {
    error(*default_at,
          "bypass_by_default stores only what the origin gives a lifetime; a default has no "
          "effect (use respect_origin for a default)");
    return std::nullopt;
  }
  return out;
}

bool Walker::status_ttls(const At& at, std::vector<StatusTtl>& out) {
  std::vector<Pos> where;
  bool ok = true;
  bool listed = items(at, kMaxStatusTtls, "status_code_ttl entries", [&](const At& item, size_t) {
    if (!item.node.IsMap()) {
      wrong_type(item,
                 "a map {status_code: 404, value: 60} or {status_code_range: ..., value: ...}");
      ok = false;
      return;
    }
    StatusTtl entry;
    std::vector<std::string_view> forms;
    bool good = true;
    bool has_value = false;
    fields(item, kStatusTtlKeys, "", [&](std::string_view key, const At& v) {
      if (key == "value") {
        has_value = true;
        auto s = ttl_seconds(v);
        if (s) entry.seconds = *s;
        good &= s.has_value();
      } else if (key == "status_code") {
        forms.push_back(key);
        auto n = integer(v, 100, 599);
        if (n) entry.codes = {static_cast<int>(*n), static_cast<int>(*n)};
        good &= n.has_value();
      } else {
        forms.push_back(key);
        std::optional<uint64_t> from;
        std::optional<uint64_t> to;
        bool bounds = true;
        fields(v, kStatusRangeKeys, "", [&](std::string_view k, const At& b) {
          auto n = integer(b, 100, 599);
          bounds &= n.has_value();
          (k == "from" ? from : to) = n;
        });
        if (!bounds) {
          good = false;
        } else if (!from || !to) {
          missing(v.pos, v.path, !from ? "from" : "to", "a range has from and to");
          good = false;
        } else if (*from > *to) {
          error(v, "the range " + std::to_string(*from) + "-" + std::to_string(*to) +
                       " is empty: from must not be above to");
          good = false;
        } else {
          entry.codes = {static_cast<int>(*from), static_cast<int>(*to)};
        }
      }
    });
    if (forms.empty()) {
      missing(item.pos, item.path, "status_code", "or \"status_code_range\"");
      good = false;
    } else if (forms.size() > 1) {
      error(item, "an entry has either status_code or status_code_range, not both");
      good = false;
    }
    if (!has_value) {
      missing(item.pos, item.path, "value", "the TTL in seconds; 0: not stored");
      good = false;
    }
    if (!good) {
      ok = false;
      return;
    }
    // Entries are tried in order, so an overlap would leave part of a later one dead.
    for (size_t i = 0; i < out.size(); ++i) {
      if (entry.codes.low <= out[i].codes.high && out[i].codes.low <= entry.codes.high) {
        error(item, "status codes " + std::to_string(entry.codes.low) + "-" +
                        std::to_string(entry.codes.high) + " overlap the entry at line " +
                        std::to_string(where[i].line));
        ok = false;
        return;
      }
    }
    out.push_back(entry);
    where.push_back(item.pos);
  });
  return ok && listed;
}

std::optional<BrowserTtl> Walker::browser_ttl(const At& at) {
  BrowserTtl out;
  bool ok = true;
  std::optional<At> default_at;
  bool is_map = fields(at, kBrowserTtlKeys, "", [&](std::string_view key, const At& v) {
    if (key == "mode") {
      auto m = one_of(v, kBrowserTtlModes);
      if (!m) {
        ok = false;
      } else if (*m == "override_origin") {
        out.mode = BrowserTtlMode::kOverrideOrigin;
      } else if (*m == "bypass") {
        out.mode = BrowserTtlMode::kBypass;
      }
    } else if (key == "default") {
      default_at = v;
      auto s = ttl_seconds(v);
      if (s) out.default_seconds = *s;
      ok &= s.has_value();
    }
  });
  if (!is_map || !ok) return std::nullopt;
  if (out.mode == BrowserTtlMode::kOverrideOrigin && !default_at) {
    missing(at.pos, at.path, "default", "override_origin needs the TTL to send");
    return std::nullopt;
  }
  if (out.mode != BrowserTtlMode::kOverrideOrigin && default_at) {
    error(*default_at, "a default is used only with mode: override_origin");
    return std::nullopt;
  }
  return out;
}

void Walker::cache_key(const At& at, CacheRuleSettings& out) {
  fields(at, kCacheKeyKeys, "", [&](std::string_view key, const At& v) {
    if (key == "ignore_query_strings_order") {
      out.ignore_query_strings_order = boolean(v);
    } else if (key == "cache_deception_armor") {
      out.cache_deception_armor = boolean(v);
    } else if (key == "custom_key") {
      fields(v, kCustomKeyKeys, "", [&](std::string_view k, const At& c) {
        if (k == "query_string") {
          out.query_string = query_key(c);
        } else if (k == "header") {
          out.key_headers = key_names(c, true);
        } else if (k == "cookie") {
          out.key_cookies = key_names(c, false);
        } else if (k == "host") {
          fields(c, kHostKeys, "",
                 [&](std::string_view, const At& b) { out.host_resolved = boolean(b); });
        }
      });
    }
  });
}

std::optional<QueryKey> Walker::query_key(const At& at) {
  QueryKey out;
  std::vector<At> forms;
  bool ok = true;
  bool is_map = fields(at, kQueryStringKeys, "", [&](std::string_view key, const At& v) {
    forms.push_back(v);
    bool include = key == "include";
    out.mode = include ? QueryKeyMode::kInclude : QueryKeyMode::kExclude;
    // "*" alone (or as the only item) means every argument.
    bool star = (v.node.IsScalar() && v.node.Scalar() == "*") ||
                (v.node.IsSequence() && v.node.size() == 1 && v.node[0].IsScalar() &&
                 v.node[0].Scalar() == "*");
    if (star) {
      out.mode = include ? QueryKeyMode::kAll : QueryKeyMode::kNone;
      return;
    }
    ok &= items(v, kMaxKeyNames, "query argument names", [&](const At& item, size_t) {
      auto name = string(item);
      if (!name) {
        ok = false;
      } else if (*name == "*") {
        error(item, "\"*\" stands alone: it means every argument");
        ok = false;
      } else if (name->empty() || name->size() > kMaxKeyNameBytes ||
                 name->find_first_of("&=#") != std::string::npos || has_space_or_control(*name)) {
        error(item, quote(*name) +
                        " is not a query argument name (1-256 characters, no spaces, & = or #)");
        ok = false;
      } else {
        out.names.push_back(*name);
      }
    });
  });
  if (!is_map || !ok) return std::nullopt;
  if (forms.empty()) {
    error(at, "query_string needs include or exclude");
    return std::nullopt;
  }
  if (forms.size() > 1) {
    error(forms[1], "query_string has either include or exclude, not both");
    return std::nullopt;
  }
  return out;
}

std::optional<std::vector<std::string>> Walker::key_names(const At& at, bool headers) {
  std::vector<std::string> out;
  bool ok = true;
  bool has_include = false;
  bool is_map = fields(at, kIncludeKeys, "", [&](std::string_view, const At& v) {
    has_include = true;
    ok &= items(
        v, kMaxKeyNames, headers ? "header names" : "cookie names", [&](const At& item, size_t) {
          auto name = string(item);
          if (!name) {
            ok = false;
          } else if (!is_http_token(*name) || name->size() > kMaxKeyNameBytes) {
            error(item,
                  quote(*name) + " is not a valid " + (headers ? "header" : "cookie") + " name");
            ok = false;
          } else if (headers && to_lower(*name) == "cookie") {
            error(item,
                  "the Cookie header is not a key part; name the cookies in "
                  "custom_key.cookie");
            ok = false;
          } else {
            // Header names compare case-insensitively, cookie names exactly.
            out.push_back(headers ? to_lower(*name) : *name);
          }
        });
  });
  if (!is_map || !ok) return std::nullopt;
  if (!has_include) {
    missing(at.pos, at.path, "include", "the names to add to the key");
    return std::nullopt;
  }
  return out;
}

}  // namespace rampart::config::detail
