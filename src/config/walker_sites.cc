// The walker's sites: names, hosts, origins (endpoints or pools), header rules,
// redirects and the site's firewall rules (read by walker_rules.cc).

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

const Keys kSiteKeys = {
    "name",      "hosts",     "default",  "origin", "request_headers", "response_headers",
    "redirects", "websocket", "firewall", "cache",  "compression",     "tls",
    "ddos",      "rate_limit"};
const Keys kOriginKeys = {"endpoints",   "pool", "pools", "fallback", "retries",
                          "retry_after", "tls",  "http2", "max_idle"};
const Keys kHeaderRuleKeys = {"set", "add", "remove"};
const Keys kHeaderFieldKeys = {"name", "value"};
const Keys kRedirectKeys = {"from", "to", "status", "match", "keep_query"};

// Headers that carry the message framing or belong to one connection. rampart manages
// them itself; letting a rule rewrite them would allow request smuggling or break
// keep-alive between rampart and its peers.
const Keys kManagedHeaders = {"content-length",
                              "transfer-encoding",
                              "connection",
                              "keep-alive",
                              "proxy-connection",
                              "te",
                              "trailer",
                              "upgrade",
                              "proxy-authenticate",
                              "proxy-authorization"};

}  // namespace

void Walker::sites(const At& at) {
  if (at.node.IsNull() || (at.node.IsSequence() && at.node.size() == 0)) {
    error(at, "at least one site is needed");
    return;
  }
  items(at, detail::kMaxSites, "sites", [&](const At& item, size_t) { site(item); });
}

void Walker::site(const At& at) {
  if (!at.node.IsMap()) {
    wrong_type(at, "a site map");
    return;
  }
  Site s;
  SiteSource src;
  src.item = at.pos;
  src.name = at.pos;
  src.is_default = at.pos;
  bool has_name = false;
  bool has_origin = false;
  std::optional<Pool> implicit_pool;
  std::optional<At> hosts_at;
  fields(at, kSiteKeys, "", [&](std::string_view key, const At& v) {
    if (key == "name") {
      has_name = true;
      auto name = string(v);
      if (name && !is_label(*name)) {
        error(v, quote(*name) + " is not a valid site name: use 1-64 characters of " +
                     "A-Z a-z 0-9 . _ -");
      } else if (name) {
        s.name = *name;
        src.name = v.pos;
      }
    } else if (key == "hosts") {
      hosts_at = v;
    } else if (key == "default") {
      if (auto b = boolean(v)) {
        s.is_default = *b;
        src.is_default = v.pos;
      }
    } else if (key == "origin") {
      has_origin = true;
      implicit_pool = origin(v, s.origin, src);
    } else if (key == "request_headers") {
      header_rules(v, s.request_headers);
    } else if (key == "response_headers") {
      header_rules(v, s.response_headers);
    } else if (key == "redirects") {
      redirects(v, s.redirects);
    } else if (key == "websocket") {
      if (auto b = boolean(v)) s.websocket = *b;
    } else if (key == "firewall") {
      ruleset(v, s.firewall, src.firewall_rules);
    } else if (key == "rate_limit") {
      rate_limit_rules(v, s.rate_limit, src.rate_limit_rules);
    } else if (key == "cache") {
      site_cache(v, s.cache, src);
    } else if (key == "tls") {
      src.tls = v.pos;
      site_tls(v, s.tls, src);
    } else if (key == "ddos") {
      site_ddos(v, s.ddos);
    } else if (key == "compression") {
      static const Keys kCompressionKeys = {"enabled"};
      fields(v, kCompressionKeys, "", [&](std::string_view, const At& e) {
        if (auto b = boolean(e)) s.compression.enabled = *b;
      });
    }
  });
  if (diags_.stopped()) return;
  // Hosts are read after `default`, which decides whether an empty list is allowed.
  if (hosts_at) {
    hosts(*hosts_at, s, src);
  } else if (!s.is_default) {
    missing(at.pos, at.path, "hosts", "only the default site may have none");
  }
  if (!has_name) missing(at.pos, at.path, "name", "");
  if (!has_origin) missing(at.pos, at.path, "origin", "");
  if (implicit_pool) {
    // Named after the site, with a ':' no pool name may hold, so it cannot clash with
    // (or be mistaken for) a pool of `pools:`.
    implicit_pool->name = "site:" + s.name;
    s.origin.pools = {implicit_pool->name};
    PoolSource pool_src;
    pool_src.name = Pos{implicit_pool->line, implicit_pool->column};
    where_.pools.push_back(pool_src);
    cfg_.pools.push_back(std::move(*implicit_pool));
  }
  cfg_.sites.push_back(std::move(s));
  where_.sites.push_back(std::move(src));
}

void Walker::hosts(const At& at, Site& s, SiteSource& src) {
  if (list_size(at) == 0 && (at.node.IsNull() || at.node.IsSequence()) && !s.is_default) {
    error(at, "a site needs at least one host (only the default site may have none)");
    return;
  }
  items(at, detail::kMaxHostsPerSite, "hosts", [&](const At& item, size_t) {
    auto text = string(item);
    if (!text) return;
    auto host = parse_site_host(*text);
    if (!host) {
      error(item, host.error);
      return;
    }
    s.hosts.push_back(std::move(*host.value));
    src.hosts.push_back(item.pos);
    src.host_paths.push_back(item.path);
  });
}

std::optional<Pool> Walker::origin(const At& at, Origin& o, SiteSource& src) {
  using namespace std::chrono_literals;
  if (at.node.IsNull()) {
    error(at, "expected a map with endpoints, pool or pools");
    return std::nullopt;
  }
  std::vector<At> forms;  // endpoints, pool, pools: exactly one belongs here
  std::optional<At> fallback_at;
  std::vector<PoolEndpoint> endpoints;
  std::optional<At> tls_at;
  std::optional<OriginTls> tls;
  std::optional<At> http2_at;
  bool http2 = false;
  std::optional<At> max_idle_at;
  uint32_t max_idle = Pool{}.max_idle;
  bool is_map = fields(at, kOriginKeys, "", [&](std::string_view key, const At& v) {
    if (key == "endpoints") {
      forms.push_back(v);
      if (list_size(v) == 0 && (v.node.IsNull() || v.node.IsSequence())) {
        error(v, "at least one endpoint is needed");
        return;
      }
      pool_endpoints(v, endpoints, false);
    } else if (key == "pool") {
      forms.push_back(v);
      pool_ref(v, o.pools, src.pool_refs);
    } else if (key == "pools") {
      forms.push_back(v);
      pool_refs(v, o.pools, src.pool_refs);
    } else if (key == "fallback") {
      fallback_at = v;
      std::vector<std::string> name;
      pool_ref(v, name, src.pool_refs);
      if (!name.empty()) o.fallback = name.front();
    } else if (key == "retries") {
      retry_policy(v, o.retries);
    } else if (key == "retry_after") {
      if (auto d = duration_in(v, 1s, 1h)) o.retry_after = *d;
    } else if (key == "tls") {
      tls_at = v;
      tls.emplace();
      origin_tls(v, *tls);
    } else if (key == "http2") {
      http2_at = v;
      if (auto b = boolean(v)) http2 = *b;
    } else if (key == "max_idle") {
      max_idle_at = v;
      if (auto n = integer(v, 0, 100'000)) max_idle = static_cast<uint32_t>(*n);
    }
  });
  if (!is_map || diags_.stopped()) return std::nullopt;
  auto form_name = [](const At& form) { return form.path.substr(form.path.rfind('.') + 1); };
  if (forms.empty()) {
    missing(at.pos, at.path, "endpoints", "origin needs endpoints, pool or pools");
    return std::nullopt;
  }
  for (size_t i = 1; i < forms.size(); ++i) {
    error(forms[i], "origin has both " + form_name(forms[0]) + " and " + form_name(forms[i]) +
                        "; use exactly one of endpoints, pool or pools");
  }
  bool shorthand = form_name(forms[0]) == "endpoints";
  if (fallback_at && forms.size() == 1) {
    if (shorthand) {
      error(*fallback_at,
            "fallback goes with pool or pools; the endpoints shorthand has one "
            "pool and nothing to fail over to");
    } else if (!o.fallback.empty() &&
               std::find(o.pools.begin(), o.pools.end(), o.fallback) != o.pools.end()) {
      error(*fallback_at, "pool " + quote(o.fallback) +
                              " is already in the failover list; the fallback is used when "
                              "none of those can serve");
    }
  }
  if (tls_at && forms.size() == 1 && !shorthand) {
    error(*tls_at, "tls goes with the endpoints shorthand; a named pool sets its own tls");
  }
  if (http2_at && forms.size() == 1 && !shorthand) {
    error(*http2_at, "http2 goes with the endpoints shorthand; a named pool sets its own http2");
  }
  if (max_idle_at && forms.size() == 1 && !shorthand) {
    error(*max_idle_at,
          "max_idle goes with the endpoints shorthand; a named pool sets its own max_idle");
  }
  if (forms.size() != 1 || !shorthand) return std::nullopt;
  Pool p;
  p.implicit = true;
  p.tls = std::move(tls);
  p.http2 = http2;
  p.max_idle = max_idle;
  p.endpoints = std::move(endpoints);
  p.line = at.pos.line;
  p.column = at.pos.column;
  return p;
}

std::optional<std::string> Walker::header_name(const At& at) {
  auto name = string(at);
  if (!name) return std::nullopt;
  if (!is_http_token(*name)) {
    error(at, quote(*name) + " is not a valid header name (1-256 token characters)");
    return std::nullopt;
  }
  std::string lower = to_lower(*name);
  if (contains(kManagedHeaders, lower)) {
    error(at, "header \"" + *name +
                  "\" is managed by rampart (message framing or hop-by-hop) and cannot be "
                  "changed by a rule");
    return std::nullopt;
  }
  return name;
}

void Walker::header_rules(const At& at, std::vector<HeaderRule>& out) {
  items(at, detail::kMaxHeaderRulesPerList, "header rules", [&](const At& item, size_t) {
    if (!item.node.IsMap()) {
      wrong_type(item, "a map with one of set, add or remove");
      return;
    }
    HeaderRule rule;
    int ops = 0;
    bool ok = true;
    fields(item, kHeaderRuleKeys, "", [&](std::string_view key, const At& v) {
      if (++ops > 1) {
        error(v, "a header rule has exactly one of set, add or remove; write one item each");
        ok = false;
        return;
      }
      if (key == "remove") {
        rule.op = HeaderOp::kRemove;
        if (auto n = header_name(v)) {
          rule.name = *n;
        } else {
          ok = false;
        }
        return;
      }
      rule.op = key == "set" ? HeaderOp::kSet : HeaderOp::kAdd;
      if (!v.node.IsMap()) {
        wrong_type(v, "a map {name: ..., value: ...}");
        ok = false;
        return;
      }
      bool has_name = false;
      bool has_value = false;
      fields(v, kHeaderFieldKeys, "", [&](std::string_view k, const At& f) {
        if (k == "name") {
          has_name = true;
          if (auto n = header_name(f)) {
            rule.name = *n;
          } else {
            ok = false;
          }
        } else {
          has_value = true;
          auto value = string(f);
          if (!value) {
            ok = false;
          } else if (value->size() > detail::kMaxHeaderValueBytes) {
            error(f,
                  "the value is " + std::to_string(value->size()) + " bytes; the limit is 8 KiB");
            ok = false;
          } else if (!is_field_value(*value)) {
            error(f,
                  "the value contains control characters (CR, LF, NUL or others), which "
                  "could split the header");
            ok = false;
          } else {
            rule.value = *value;
          }
        }
      });
      if (!has_name) {
        missing(v.pos, v.path, "name", "");
        ok = false;
      }
      if (!has_value) {
        missing(v.pos, v.path, "value", "");
        ok = false;
      }
    });
    if (ops == 0) {
      error(item, "a header rule needs one of set, add or remove");
      return;
    }
    if (ok) out.push_back(std::move(rule));
  });
}

void Walker::redirects(const At& at, std::vector<Redirect>& out) {
  std::unordered_map<std::string, Pos> seen;
  items(at, detail::kMaxRedirectsPerSite, "redirects", [&](const At& item, size_t) {
    if (!item.node.IsMap()) {
      wrong_type(item, "a redirect map {from, to}");
      return;
    }
    Redirect r;
    bool ok = true;
    bool has_from = false;
    bool has_to = false;
    Pos from_pos = item.pos;
    fields(item, kRedirectKeys, "", [&](std::string_view key, const At& v) {
      if (key == "from") {
        has_from = true;
        auto s = string(v);
        if (!s || !redirect_from(v, *s)) ok = false;
        if (s) r.from = *s;
        from_pos = v.pos;
      } else if (key == "to") {
        has_to = true;
        auto s = string(v);
        if (!s || !redirect_to(v, *s)) ok = false;
        if (s) r.to = *s;
      } else if (key == "status") {
        auto n = integer(v, 0, 999);
        if (n && *n != 301 && *n != 302 && *n != 303 && *n != 307 && *n != 308) {
          error(v, std::to_string(*n) + " is not a redirect status; use 301, 302, 303, 307 or 308");
          n.reset();
        }
        if (n) {
          r.status = static_cast<int>(*n);
        } else {
          ok = false;
        }
      } else if (key == "match") {
        if (auto s = one_of(v, {"exact", "prefix"})) {
          r.prefix = *s == "prefix";
        } else {
          ok = false;
        }
      } else if (key == "keep_query") {
        if (auto b = boolean(v)) {
          r.keep_query = *b;
        } else {
          ok = false;
        }
      }
    });
    if (!has_from) {
      missing(item.pos, item.path, "from", "");
      ok = false;
    }
    if (!has_to) {
      missing(item.pos, item.path, "to", "");
      ok = false;
    }
    if (!ok) return;
    std::string key = (r.prefix ? "prefix " : "exact ") + r.from;
    auto [it, inserted] = seen.emplace(key, from_pos);
    if (!inserted) {
      diags_.error(from_pos, item.path + ".from: " + quote(r.from) +
                                 " already has a redirect with the same match, at line " +
                                 std::to_string(it->second.line));
      return;
    }
    out.push_back(std::move(r));
  });
}

bool Walker::redirect_from(const At& at, const std::string& from) {
  if (from.empty() || from[0] != '/') {
    error(at, quote(from) + " must be a path starting with \"/\"");
  } else if (from.size() > 2048) {
    error(at, "the path is longer than 2048 characters");
  } else if (has_space_or_control(from)) {
    error(at, quote(from) + " contains spaces or control characters");
  } else if (from.find_first_of("?#") != std::string::npos) {
    error(at, quote(from) + ": redirects match the path only, without \"?\" or \"#\"");
  } else {
    return true;
  }
  return false;
}

bool Walker::redirect_to(const At& at, const std::string& to) {
  if (auto problem = redirect_target_problem(to)) {
    error(at, *problem);
    return false;
  }
  return true;
}

}  // namespace rampart::config::detail
