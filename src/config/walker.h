#pragma once
// The schema walker shared by the YAML loader's files: node context, typed readers, sections.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"

namespace rampart::config::detail {

using Keys = std::vector<std::string_view>;

bool contains(const Keys& keys, std::string_view key);

// Names and labels show up in logs, metrics and the admin API, so they are kept to a
// small character set that needs no escaping anywhere.
bool is_label(std::string_view text);

// Visible ASCII, space and tab: what an HTTP field value may hold besides obs-text.
bool is_field_value(std::string_view text);

std::string item_path(const std::string& path, size_t i);
std::string key_path(const std::string& path, std::string_view key);
Pos to_pos(const YAML::Mark& mark);

// One node in its context: where it is and how to name it in a message.
struct At {
  YAML::Node node;
  Pos pos;
  std::string path;
};

// Walks the node tree along the schema (never generically: YAML aliases can form
// cycles), filling `config` and `where` and reporting every problem to `diags`.
// The root is in yaml_loader.cc, the typed readers in walker.cc, the server-wide
// sections in walker_sections.cc, the sites in walker_sites.cc, the pools in
// walker_pools.cc and the rate-limit rules in walker_rate_limit.cc.
class Walker {
 public:
  // `text` is the YAML source, for the positions inside expressions; list files
  // resolve against `base_dir` (the current directory when empty).
  Walker(Diagnostics& diags, Config& config, SourceMap& where, std::string_view text,
         std::string base_dir)
      : diags_(diags), cfg_(config), where_(where), text_(text), base_dir_(std::move(base_dir)) {}

  void root(const YAML::Node& node);

 private:
  // Every loop over keys or items goes through here, so a walk stops soon after the
  // error cap. Its length is bounded by the pre-pass (NodeCounter), aliases included.
  bool visit() const { return !diags_.stopped(); }

  void error(const At& at, const std::string& message);
  void missing(Pos pos, const std::string& path, std::string_view key, std::string_view why);
  static std::string describe(const YAML::Node& node);
  void wrong_type(const At& at, std::string_view expected);

  // Iterates a map, reporting keys that are not scalars, unknown or repeated, and calls
  // on_field(key, value) for the others. A null node is an empty map: a section whose
  // keys are all commented out is still a valid section.
  template <typename F>
  bool fields(const At& at, const Keys& known, std::string_view what, F&& on_field) {
    return fields_or(
        at, known,
        [&](const At& key_at, const std::string& key) { unknown_key(key_at, key, known, what); },
        std::forward<F>(on_field));
  }

  // fields() with the message for an unknown key left to on_unknown(key_at, key).
  template <typename U, typename F>
  bool fields_or(const At& at, const Keys& known, U&& on_unknown, F&& on_field) {
    if (at.node.IsNull()) return true;
    if (!at.node.IsMap()) {
      wrong_type(at, "a map");
      return false;
    }
    std::vector<std::pair<std::string_view, Pos>> seen;
    for (auto it = at.node.begin(); it != at.node.end(); ++it) {
      const YAML::Node key_node = it->first;
      Pos key_pos = to_pos(key_node.Mark());
      if (key_pos.line == 0) key_pos = at.pos;
      if (!visit()) return false;
      At key_at{key_node, key_pos, at.path};
      if (!key_node.IsScalar()) {
        error(key_at, "keys must be plain strings, got " + describe(key_node));
        continue;
      }
      const std::string& key = key_node.Scalar();
      // Top-level "x-" keys are free space for YAML anchors that sites then share.
      if (at.path.empty() && key.size() > 2 && key.compare(0, 2, "x-") == 0) continue;
      auto found = std::find(known.begin(), known.end(), key);
      if (found == known.end()) {
        on_unknown(key_at, key);
        continue;
      }
      bool repeated = false;
      for (const auto& [k, p] : seen) {
        if (k == key) {
          error(key_at,
                "key \"" + key + "\" is repeated; the first is at line " + std::to_string(p.line));
          repeated = true;
        }
      }
      if (repeated) continue;
      seen.emplace_back(*found, key_pos);
      const YAML::Node value = it->second;
      // yaml-cpp marks an empty value at the next token, often on another line; the
      // key is where a reader looks.
      Pos value_pos = value.IsNull() ? key_pos : to_pos(value.Mark());
      if (value_pos.line == 0) value_pos = key_pos;
      on_field(*found, At{value, value_pos, key_path(at.path, key)});
      if (diags_.stopped()) return false;
    }
    return true;
  }

  void unknown_key(const At& at, std::string_view key, const Keys& known, std::string_view what);

  // Iterates a list, refusing one longer than `cap` before touching its items. A null
  // node is an empty list.
  template <typename F>
  bool items(const At& at, size_t cap, std::string_view what, F&& on_item) {
    if (at.node.IsNull()) return true;
    if (!at.node.IsSequence()) {
      wrong_type(at, "a list");
      return false;
    }
    if (at.node.size() > cap) {
      error(at, "too many " + std::string(what) + ": " + std::to_string(at.node.size()) +
                    " (the limit is " + std::to_string(cap) + ")");
      return false;
    }
    size_t i = 0;
    for (auto it = at.node.begin(); it != at.node.end(); ++it, ++i) {
      const YAML::Node item = *it;
      Pos pos = to_pos(item.Mark());
      if (pos.line == 0) pos = at.pos;
      if (!visit()) return false;
      on_item(At{item, pos, item_path(at.path, i)}, i);
      if (diags_.stopped()) return false;
    }
    return true;
  }

  // Iterates a map whose keys the user picks (pool names, header names), so fields()
  // and its fixed schema do not apply. Refuses a map larger than `cap`, reports keys
  // that are not scalars or are repeated, and calls on_entry(key_at, key, value).
  template <typename F>
  bool entries(const At& at, size_t cap, std::string_view what, F&& on_entry) {
    if (at.node.IsNull()) return true;
    if (!at.node.IsMap()) {
      wrong_type(at, "a map of " + std::string(what));
      return false;
    }
    if (at.node.size() > cap) {
      error(at, "too many " + std::string(what) + ": " + std::to_string(at.node.size()) +
                    " (the limit is " + std::to_string(cap) + ")");
      return false;
    }
    std::vector<std::pair<std::string, Pos>> seen;
    for (auto it = at.node.begin(); it != at.node.end(); ++it) {
      if (!visit()) return false;
      const YAML::Node key_node = it->first;
      Pos key_pos = to_pos(key_node.Mark());
      if (key_pos.line == 0) key_pos = at.pos;
      At key_at{key_node, key_pos, at.path};
      if (!key_node.IsScalar()) {
        error(key_at, "keys must be plain strings, got " + describe(key_node));
        continue;
      }
      const std::string& key = key_node.Scalar();
      auto first =
          std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key; });
      if (first != seen.end()) {
        error(key_at, quote(key) + " is repeated; the first is at line " +
                          std::to_string(first->second.line));
        continue;
      }
      seen.emplace_back(key, key_pos);
      const YAML::Node value = it->second;
      Pos value_pos = value.IsNull() ? key_pos : to_pos(value.Mark());
      if (value_pos.line == 0) value_pos = key_pos;
      on_entry(key_at, key, At{value, value_pos, key_path(at.path, key)});
      if (diags_.stopped()) return false;
    }
    return true;
  }

  size_t list_size(const At& at) const { return at.node.IsSequence() ? at.node.size() : 0; }

  // Typed scalars: each reports a wrong type or value and returns nothing.
  std::optional<std::string> string(const At& at);
  std::optional<bool> boolean(const At& at);
  std::optional<std::string> one_of(const At& at, const Keys& allowed);
  std::optional<uint64_t> integer(const At& at, uint64_t min, uint64_t max);
  std::optional<uint64_t> size(const At& at, uint64_t min, uint64_t max);
  std::optional<Millis> duration(const At& at);
  std::optional<Millis> any_duration(const At& at);  // parsed, not range-checked
  // A duration in [min, max]; unlike duration(), min may be 0.
  std::optional<Millis> duration_in(const At& at, Millis min, Millis max);
  // "20%" or 20, at most `max`.
  std::optional<uint32_t> percent(const At& at, uint32_t max);

  // Server-wide sections (walker_sections.cc).
  void version(const At& at);
  void workers(const At& at);
  void listeners(const At& at);
  void admin(const At& at);
  void access_log_path(const At& at);
  void trusted_proxies(const At& at);
  void limits(const At& at);
  void timeouts(const At& at);
  // The connection guard's limits and the overload section (walker_guard.cc).
  void guard_limit(std::string_view key, const At& v);
  void overload(const At& at);
  void deployment(const At& at);  // walker_deployment.cc
  // A list of CIDRs and "$name" list references; the names resolve once every list is
  // known (resolve_ip_matches, at the end of the root walk).
  void ip_match(const At& at, IpMatch& out);
  void resolve_ip_matches();
  // overload.max_connections below limits.max_connections, which would refuse first.
  void check_overload_limits();
  void modules(const At& at);
  void cache_settings(const At& at);
  void waf(const At& at);  // walker_waf.cc
  void bot(const At& at);  // walker_bot.cc
  // bot: verified_bots, feed_limits, reverse_dns, web_bot_auth (walker_verified_bots.cc)
  void bot_verified(std::string_view key, const At& v);
  void safety(const At& at);  // walker_safety.cc
  std::optional<std::pair<int64_t, int64_t>> waf_rule_range(const At& at);
  // Returns the position of `size`, for the check against max_object_size.
  std::optional<Pos> cache_disk(const At& at);

  // Sites (walker_sites.cc).
  void sites(const At& at);
  void site(const At& at);
  void hosts(const At& at, Site& s, SiteSource& src);
  // Returns the implicit pool of the `endpoints:` shorthand, still without its name.
  std::optional<Pool> origin(const At& at, Origin& o, SiteSource& src);
  std::optional<std::string> header_name(const At& at);
  void header_rules(const At& at, std::vector<HeaderRule>& out);
  void redirects(const At& at, std::vector<Redirect>& out);
  bool redirect_from(const At& at, const std::string& from);
  bool redirect_to(const At& at, const std::string& to);

  // A site's cache section and its cache rules (walker_cache_rules.cc).
  void site_cache(const At& at, SiteCache& out, SiteSource& src);
  void cache_rule(const At& at, std::vector<CacheRule>& out, std::vector<RuleSource>& sources);
  void cache_settings(const At& at, CacheRuleSettings& out);
  std::optional<int64_t> ttl_seconds(const At& at);
  std::optional<EdgeTtl> edge_ttl(const At& at);
  bool status_ttls(const At& at, std::vector<StatusTtl>& out);
  std::optional<BrowserTtl> browser_ttl(const At& at);
  void cache_key(const At& at, CacheRuleSettings& out);
  std::optional<QueryKey> query_key(const At& at);
  std::optional<std::vector<std::string>> key_names(const At& at, bool headers);

  // Pools (walker_pools.cc) and what origins and route actions say about them.
  void pools(const At& at);
  void pool(const At& at, const std::string& name, Pos name_pos);
  void pool_fields(const At& at, Pool& p, PoolSource& src);
  void pool_endpoints(const At& at, std::vector<PoolEndpoint>& out, bool allow_maps);
  std::optional<PoolEndpoint> pool_endpoint(const At& at, bool allow_maps);
  void affinity(const At& at, Affinity& out);
  void health_check(const At& at, HealthCheck& out, PoolSource& src);
  void health_headers(const At& at, std::vector<HeaderRule>& out);
  void outlier_detection(const At& at, OutlierDetection& out, PoolSource& src);
  void retry_budget(const At& at, RetryBudget& out);
  void retry_policy(const At& at, RetryPolicy& out);
  // Pool names, kept with their positions in `refs` for the checker.
  void pool_ref(const At& at, std::vector<std::string>& out, std::vector<PoolRef>& refs);
  void pool_refs(const At& at, std::vector<std::string>& out, std::vector<PoolRef>& refs);

  // TLS settings of listeners and sites (walker_tls.cc). The files are only named
  // here; tls/ reads them when it builds the contexts.
  void listener_tls(const At& at, ListenerTls& out);
  void site_tls(const At& at, SiteTls& out, SiteSource& src);
  // A pool's (or an inline origin's) TLS to its endpoints.
  void origin_tls(const At& at, OriginTls& out);
  void certificate(const At& at, std::vector<CertificateFiles>& out);
  void client_auth(const At& at, ClientAuth& out);
  void hsts(const At& at, Hsts& out);
  // A file path written in the config, resolved against the config's directory.
  std::optional<std::string> file_path(const At& at);

  // A site's adaptive DDoS mitigation (walker_ddos.cc).
  void site_ddos(const At& at, SiteDdos& out);

  // Named lists (walker_lists.cc).
  void lists(const At& at);
  void named_list(const At& at, const std::string& name, Pos name_pos);
  std::string resolve_path(const std::string& path) const;

  // Firewall rules (walker_rules.cc).
  void ruleset(const At& at, Ruleset& out, std::vector<RuleSource>& sources);
  void rule(const At& at, Ruleset& out, std::vector<RuleSource>& sources);
  std::optional<SourceText> expression(const At& at);
  // A rule's `id` (a label; `id_pos` gets its position) and `description` (bounded),
  // the same in every rule list.
  void rule_id(const At& at, std::string& id, Pos& id_pos);
  void rule_description(const At& at, std::string& out);
  // The head every kind of rule (firewall, rate limit, cache) shares: its position and
  // the keys id, description, expression and enabled.
  struct RuleHead {
    RuleSource source;
    bool has_id = false;
    bool has_expression = false;
  };
  template <class R>
  RuleHead rule_head(const At& at, R& r) {
    r.line = at.pos.line;
    r.column = at.pos.column;
    RuleHead head;
    head.source.item = at.pos;
    head.source.id = at.pos;
    head.source.path = at.path;
    return head;
  }
  // True when `key` is one of the shared keys (and was read into `r`).
  template <class R>
  bool rule_head_key(std::string_view key, const At& v, R& r, RuleHead& head) {
    if (key == "id") {
      head.has_id = true;
      rule_id(v, r.id, head.source.id);
    } else if (key == "description") {
      rule_description(v, r.description);
    } else if (key == "expression") {
      head.has_expression = true;
      if (auto e = expression(v)) r.expression = std::move(*e);
    } else if (key == "enabled") {
      if (auto b = boolean(v)) r.enabled = *b;
    } else {
      return false;
    }
    return true;
  }
  // Reports the shared keys that are missing; `expression_hint` goes with the expression.
  void missing_rule_head(const At& at, const RuleHead& head, std::string_view expression_hint);
  SourceText source_text(const At& at, const std::string& value) const;
  using LiteralCheck = bool (Walker::*)(const At&, const std::string&);
  std::optional<DynamicValue> dynamic_value(const At& at, std::string_view expected,
                                            LiteralCheck check);

  // The `cluster:` section (walker_cluster.cc).
  void cluster(const At& at);
  // Rate-limit rules (walker_rate_limit.cc).
  void rate_limit_rules(const At& at, RateLimitRules& out, std::vector<RuleSource>& sources);
  void rate_limit_rule(const At& at, RateLimitRules& out, std::vector<RuleSource>& sources);
  void rate_limit_characteristics(const At& at, RateLimitRule& r);

  // Action parameters (walker_actions.cc). `at` is the action_parameters map, or a
  // null node at the rule when the rule has none.
  void action_parameters(const At& at, RuleAction action, ActionParameters& params,
                         RuleSource& src);
  void unknown_parameter(const At& key_at, const std::string& key, RuleAction action);
  void block_parameters(const At& at, ActionParameters& params);
  void skip_parameters(const At& at, ActionParameters& params, RuleSource& src);
  void redirect_parameters(const At& at, ActionParameters& params);
  void rewrite_parameters(const At& at, ActionParameters& params);
  void route_parameters(const At& at, ActionParameters& params, RuleSource& src);
  bool rewrite_path(const At& at, const std::string& path);
  bool rewrite_query(const At& at, const std::string& query);

  Diagnostics& diags_;
  Config& cfg_;
  SourceMap& where_;
  std::string_view text_;
  std::string base_dir_;
  // IP matches read so far, their inline prefixes and the list names still to resolve.
  struct PendingIpMatch {
    IpMatch* out;
    std::vector<core::Cidr> cidrs;
    std::vector<std::pair<std::string, At>> names;
  };
  std::vector<PendingIpMatch> pending_ip_matches_;
  std::optional<At> overload_max_connections_at_;
};

}  // namespace rampart::config::detail
