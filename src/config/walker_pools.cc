// The walker's origin pools: endpoints, steering, affinity, active health checks,
// outlier detection, connection caps and retry budgets; and the retry policy and pool
// names that origins and route actions write.

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "config/loader_internal.h"
#include "config/value_parsers.h"
#include "config/walker.h"

namespace rampart::config::detail {
namespace {

using namespace std::chrono_literals;

const Keys kPoolKeys = {"steering",          "hash_key",
                        "affinity",          "min_healthy",
                        "endpoints",         "health_check",
                        "outlier_detection", "max_connections",
                        "max_pending",       "pending_timeout",
                        "retry_budget",      "tls",
                        "max_idle",          "http2"};
const Keys kSteerings = {"round_robin", "random", "least_outstanding", "p2c", "latency", "hash"};
const Keys kEndpointKeys = {"address", "weight", "enabled"};
const Keys kAffinityKeys = {"cookie", "ttl"};
const Keys kHealthKeys = {"type",
                          "method",
                          "path",
                          "host",
                          "headers",
                          "expected_codes",
                          "expected_body",
                          "interval",
                          "timeout",
                          "healthy_threshold",
                          "unhealthy_threshold",
                          "jitter"};
// Keys that mean something only to an HTTP check.
const Keys kHttpOnlyHealthKeys = {"method",  "path",           "host",
                                  "headers", "expected_codes", "expected_body"};
const Keys kOutlierKeys = {"enabled",       "consecutive_failures", "count_5xx",
                           "base_ejection", "max_ejection",         "max_ejected"};
const Keys kRetryBudgetKeys = {"percent", "window", "min_retries"};
const Keys kRetryKeys = {"max_tries", "per_try_timeout", "retry_on", "hedge_after"};
const Keys kRetryOn = {"connect_failure", "reset", "timeout", "5xx", "gateway_error"};

constexpr size_t kMaxPoolsPerOrigin = 16;
constexpr size_t kMaxHealthHeaders = 100;
constexpr size_t kMaxCookieName = 64;
constexpr size_t kMaxExpectedBody = 4 << 10;
constexpr size_t kMaxHealthPath = 2048;
constexpr uint64_t kMaxCount = 1'000'000;

Steering steering_named(std::string_view name) {
  for (Steering s : {Steering::kRoundRobin, Steering::kRandom, Steering::kLeastOutstanding,
                     Steering::kPowerOfTwo, Steering::kLatency, Steering::kHash}) {
    if (steering_name(s) == name) return s;
  }
  return Steering::kRoundRobin;
}

RetryOn retry_on_named(std::string_view name) {
  if (name == "reset") return RetryOn::kReset;
  if (name == "timeout") return RetryOn::kTimeout;
  if (name == "5xx") return RetryOn::k5xx;
  if (name == "gateway_error") return RetryOn::kGatewayError;
  return RetryOn::kConnectFailure;
}

}  // namespace

void Walker::pools(const At& at) {
  entries(at, kMaxPools, "pools", [&](const At& key_at, const std::string& name, const At& v) {
    if (!is_label(name)) {
      error(key_at, quote(name) + " is not a valid pool name: use 1-64 characters of " +
                        "A-Z a-z 0-9 . _ -");
      return;
    }
    pool(v, name, key_at.pos);
  });
}

void Walker::pool(const At& at, const std::string& name, Pos name_pos) {
  if (!at.node.IsMap()) {
    wrong_type(at, "a pool map with endpoints");
    return;
  }
  Pool p;
  p.name = name;
  p.line = name_pos.line;
  p.column = name_pos.column;
  PoolSource src;
  src.name = name_pos;
  pool_fields(at, p, src);
  cfg_.pools.push_back(std::move(p));
  where_.pools.push_back(src);
}

void Walker::pool_fields(const At& at, Pool& p, PoolSource& src) {
  bool has_endpoints = false;
  std::optional<At> steering_at;
  std::optional<At> hash_key_at;
  bool steering_known = true;  // a typo is reported once, not again as a hash_key problem
  fields(at, kPoolKeys, "", [&](std::string_view key, const At& v) {
    if (key == "steering") {
      steering_at = v;
      if (auto s = one_of(v, kSteerings)) {
        p.steering = steering_named(*s);
      } else {
        steering_known = false;
      }
    } else if (key == "hash_key") {
      hash_key_at = v;
      p.hash_key = expression(v);
    } else if (key == "affinity") {
      affinity(v, p.affinity);
    } else if (key == "min_healthy") {
      if (auto n = integer(v, 0, kMaxEndpointsPerPool)) {
        p.min_healthy = static_cast<uint32_t>(*n);
        src.min_healthy = v.pos;
      }
    } else if (key == "endpoints") {
      has_endpoints = true;
      if (list_size(v) == 0 && (v.node.IsNull() || v.node.IsSequence())) {
        error(v, "at least one endpoint is needed");
        return;
      }
      pool_endpoints(v, p.endpoints, true);
    } else if (key == "health_check") {
      health_check(v, p.health_check, src);
    } else if (key == "outlier_detection") {
      outlier_detection(v, p.outlier_detection, src);
    } else if (key == "max_connections") {
      if (auto n = integer(v, 0, kMaxCount)) p.max_connections = static_cast<uint32_t>(*n);
    } else if (key == "max_idle") {
      if (auto n = integer(v, 0, 100'000)) p.max_idle = static_cast<uint32_t>(*n);
    } else if (key == "max_pending") {
      if (auto n = integer(v, 0, kMaxCount)) p.max_pending = static_cast<uint32_t>(*n);
    } else if (key == "pending_timeout") {
      if (auto d = duration_in(v, 1ms, 60s)) p.pending_timeout = *d;
    } else if (key == "retry_budget") {
      retry_budget(v, p.retry_budget);
    } else if (key == "tls") {
      p.tls.emplace();
      origin_tls(v, *p.tls);
    } else if (key == "http2") {
      if (auto b = boolean(v)) p.http2 = *b;
    }
  });
  if (diags_.stopped()) return;
  if (!has_endpoints) missing(at.pos, at.path, "endpoints", "a pool needs at least one");
  if (!steering_known) return;
  if (p.steering == Steering::kHash && !hash_key_at) {
    missing(steering_at->pos, at.path, "hash_key",
            "steering: hash needs the expression whose value picks the endpoint");
  } else if (p.steering != Steering::kHash && hash_key_at) {
    error(*hash_key_at, "hash_key is only for steering: hash");
  }
}

void Walker::pool_endpoints(const At& at, std::vector<PoolEndpoint>& out, bool allow_maps) {
  std::vector<Pos> first_seen;  // parallel to `out`
  items(at, kMaxEndpointsPerPool, "endpoints", [&](const At& item, size_t) {
    auto ep = pool_endpoint(item, allow_maps);
    if (!ep) return;
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].address.host == ep->address.host && out[i].address.port == ep->address.port) {
        error(item, "endpoint " + ep->address.to_string() +
                        " is listed twice in this pool; the first is at line " +
                        std::to_string(first_seen[i].line));
        return;
      }
    }
    out.push_back(std::move(*ep));
    first_seen.push_back(item.pos);
  });
}

std::optional<PoolEndpoint> Walker::pool_endpoint(const At& at, bool allow_maps) {
  PoolEndpoint ep;
  ep.line = at.pos.line;
  ep.column = at.pos.column;
  auto address = [&](const At& v) {
    auto text = string(v);
    if (!text) return false;
    auto parsed = parse_endpoint(*text);
    if (!parsed) {
      error(v, parsed.error);
      return false;
    }
    ep.address = std::move(*parsed.value);
    return true;
  };
  if (!allow_maps || !at.node.IsMap()) {
    if (allow_maps && !at.node.IsScalar()) {
      wrong_type(at, "\"host:port\" or a map with address");
      return std::nullopt;
    }
    if (!address(at)) return std::nullopt;
    return ep;
  }
  bool ok = true;
  bool has_address = false;
  fields(at, kEndpointKeys, "", [&](std::string_view key, const At& v) {
    if (key == "address") {
      has_address = true;
      ok = address(v) && ok;
    } else if (key == "weight") {
      auto n = integer(v, 1, 1000);
      if (n) ep.weight = static_cast<uint32_t>(*n);
      ok = n.has_value() && ok;
    } else if (key == "enabled") {
      auto b = boolean(v);
      if (b) ep.enabled = *b;
      ok = b.has_value() && ok;
    }
  });
  if (!has_address) {
    missing(at.pos, at.path, "address", "");
    return std::nullopt;
  }
  if (!ok) return std::nullopt;
  return ep;
}

void Walker::affinity(const At& at, Affinity& out) {
  out.enabled = true;
  fields(at, kAffinityKeys, "", [&](std::string_view key, const At& v) {
    if (key == "cookie") {
      auto s = string(v);
      if (s && (!is_http_token(*s) || s->size() > kMaxCookieName)) {
        error(v, quote(*s) + " is not a valid cookie name (1-64 token characters)");
      } else if (s) {
        out.cookie = *s;
      }
    } else if (key == "ttl") {
      // Days are written in hours: "720h".
      if (auto d = duration_in(v, 0ms, 720h)) out.ttl = *d;
    }
  });
}

void Walker::health_check(const At& at, HealthCheck& out, PoolSource& src) {
  out.enabled = true;
  std::vector<At> http_only;
  bool tcp = false;
  bool has_expected = false;
  fields(at, kHealthKeys, "", [&](std::string_view key, const At& v) {
    if (contains(kHttpOnlyHealthKeys, key)) http_only.push_back(v);
    if (key == "type") {
      if (auto s = one_of(v, {"http", "tcp"})) {
        tcp = *s == "tcp";
        out.kind = tcp ? HealthCheckKind::kTcp : HealthCheckKind::kHttp;
      }
    } else if (key == "method") {
      auto s = string(v);
      if (s && !is_http_token(*s)) {
        error(v, quote(*s) + " is not a valid HTTP method (token characters)");
      } else if (s) {
        out.method = *s;
      }
    } else if (key == "path") {
      auto s = string(v);
      if (!s) return;
      if (s->empty() || (*s)[0] != '/') {
        error(v, quote(*s) + " must be a path starting with \"/\"");
      } else if (s->size() > kMaxHealthPath) {
        error(v, "the path is longer than 2048 characters");
      } else if (has_space_or_control(*s)) {
        error(v, quote(*s) + " contains spaces or control characters");
      } else {
        out.path = *s;
      }
    } else if (key == "host") {
      auto s = string(v);
      if (!s) return;
      std::string lower = to_lower(*s);
      if (!is_valid_hostname(lower)) {
        error(v, quote(*s) + " is not a valid host name");
      } else {
        out.host = lower;
      }
    } else if (key == "headers") {
      health_headers(v, out.headers);
    } else if (key == "expected_codes") {
      has_expected = true;
      if (!v.node.IsScalar()) {
        wrong_type(v, "status codes such as \"2xx\" or \"200-299,301\"");
        return;
      }
      auto codes = parse_status_codes(v.node.Scalar());
      if (!codes) {
        error(v, codes.error);
      } else {
        out.expected = std::move(*codes.value);
      }
    } else if (key == "expected_body") {
      auto s = string(v);
      if (s && s->size() > kMaxExpectedBody) {
        error(v, "the expected body is " + std::to_string(s->size()) + " bytes; the limit is " +
                     format_size(kMaxExpectedBody));
      } else if (s) {
        out.expected_body = *s;
      }
    } else if (key == "interval") {
      if (auto d = duration_in(v, 100ms, 1h)) {
        out.interval = *d;
        src.health_interval = v.pos;
      }
    } else if (key == "timeout") {
      if (auto d = duration_in(v, 10ms, 1h)) {
        out.timeout = *d;
        src.health_timeout = v.pos;
      }
    } else if (key == "healthy_threshold") {
      if (auto n = integer(v, 1, 100)) out.healthy_threshold = static_cast<uint32_t>(*n);
    } else if (key == "unhealthy_threshold") {
      if (auto n = integer(v, 1, 100)) out.unhealthy_threshold = static_cast<uint32_t>(*n);
    } else if (key == "jitter") {
      if (auto p = percent(v, 50)) out.jitter_percent = *p;
    }
  });
  if (diags_.stopped()) return;
  if (tcp) {
    for (const At& v : http_only) error(v, "only for type: http");
  }
  if (!has_expected) out.expected = {StatusRange{200, 399}};
  // A timeout left at its default follows a shorter interval instead of being an error
  // about a value the operator never wrote.
  if (!src.health_timeout && out.timeout > out.interval) out.timeout = out.interval;
}

void Walker::health_headers(const At& at, std::vector<HeaderRule>& out) {
  entries(at, kMaxHealthHeaders, "headers",
          [&](const At& key_at, const std::string& name, const At& v) {
            if (to_lower(name) == "host") {
              error(key_at, "set the Host header of a health check with health_check.host");
              return;
            }
            auto checked = header_name(key_at);
            auto value = string(v);
            if (!checked || !value) return;
            if (value->size() > kMaxHeaderValueBytes) {
              error(v,
                    "the value is " + std::to_string(value->size()) + " bytes; the limit is 8 KiB");
            } else if (!is_field_value(*value)) {
              error(v,
                    "the value contains control characters (CR, LF, NUL or others), which "
                    "could split the header");
            } else {
              out.push_back(HeaderRule{HeaderOp::kSet, *checked, *value});
            }
          });
}

void Walker::outlier_detection(const At& at, OutlierDetection& out, PoolSource& src) {
  fields(at, kOutlierKeys, "", [&](std::string_view key, const At& v) {
    if (key == "enabled") {
      if (auto b = boolean(v)) out.enabled = *b;
    } else if (key == "consecutive_failures") {
      if (auto n = integer(v, 1, 1000)) out.consecutive_failures = static_cast<uint32_t>(*n);
    } else if (key == "count_5xx") {
      if (auto b = boolean(v)) out.count_5xx = *b;
    } else if (key == "base_ejection") {
      if (auto d = duration_in(v, 1s, 1h)) {
        out.base_ejection = *d;
        src.base_ejection = v.pos;
      }
    } else if (key == "max_ejection") {
      if (auto d = duration_in(v, 1s, 24h)) {
        out.max_ejection = *d;
        src.max_ejection = v.pos;
      }
    } else if (key == "max_ejected") {
      if (auto p = percent(v, 100)) out.max_ejected_percent = *p;
    }
  });
  // As with the health timeout: the one left at its default gives way.
  if (out.max_ejection < out.base_ejection) {
    if (!src.max_ejection) {
      out.max_ejection = out.base_ejection;
    } else if (!src.base_ejection) {
      out.base_ejection = out.max_ejection;
    }
  }
}

void Walker::retry_budget(const At& at, RetryBudget& out) {
  fields(at, kRetryBudgetKeys, "", [&](std::string_view key, const At& v) {
    if (key == "percent") {
      if (auto p = percent(v, 100)) out.percent = *p;
    } else if (key == "window") {
      if (auto d = duration_in(v, 1s, 5min)) out.window = *d;
    } else if (key == "min_retries") {
      if (auto n = integer(v, 0, kMaxCount)) out.min_retries = static_cast<uint32_t>(*n);
    }
  });
}

void Walker::retry_policy(const At& at, RetryPolicy& out) {
  fields(at, kRetryKeys, "", [&](std::string_view key, const At& v) {
    if (key == "max_tries") {
      if (auto n = integer(v, 1, 10)) out.max_tries = static_cast<uint32_t>(*n);
    } else if (key == "per_try_timeout") {
      if (auto d = duration_in(v, 0ms, 24h)) out.per_try_timeout = *d;
    } else if (key == "retry_on") {
      uint8_t mask = 0;
      bool ok = true;
      ok = items(v, kRetryOn.size(), "retry_on conditions",
                 [&](const At& item, size_t) {
                   auto name = one_of(item, kRetryOn);
                   if (!name) {
                     ok = false;
                     return;
                   }
                   auto bit = static_cast<uint8_t>(retry_on_named(*name));
                   if (mask & bit) {
                     error(item, quote(*name) + " is listed twice");
                     return;
                   }
                   mask |= bit;
                 }) &&
           ok;
      if (ok) out.retry_on = mask;
    } else if (key == "hedge_after") {
      if (auto d = duration_in(v, 0ms, 1h)) out.hedge_after = *d;
    }
  });
}

void Walker::pool_ref(const At& at, std::vector<std::string>& out, std::vector<PoolRef>& refs) {
  auto name = string(at);
  if (!name) return;
  // Whether the pool exists is known only once the whole file is read.
  out.push_back(*name);
  refs.push_back(PoolRef{*name, at.pos, at.path});
}

void Walker::pool_refs(const At& at, std::vector<std::string>& out, std::vector<PoolRef>& refs) {
  if (list_size(at) == 0 && (at.node.IsNull() || at.node.IsSequence())) {
    error(at, "at least one pool is needed");
    return;
  }
  size_t first = out.size();
  items(at, kMaxPoolsPerOrigin, "pools", [&](const At& item, size_t) {
    auto name = string(item);
    if (!name) return;
    if (std::find(out.begin() + static_cast<ptrdiff_t>(first), out.end(), *name) != out.end()) {
      error(item, "pool " + quote(*name) + " is listed twice");
      return;
    }
    pool_ref(item, out, refs);
  });
}

}  // namespace rampart::config::detail
