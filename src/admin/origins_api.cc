#include "admin/origins_api.h"

#include <fmt/format.h>

#include <iterator>

#include "server/error_page.h"

namespace rampart::admin {

namespace {

std::string quoted(std::string_view value) {
  std::string out = "\"";
  server::append_json_escaped(out, value);
  out.push_back('"');
  return out;
}

std::string_view endpoint_state_name(const proxy::EndpointState& s) {
  if (!s.healthy.load(std::memory_order_relaxed)) return "down";
  if (s.ejected.load(std::memory_order_relaxed)) return "ejected";
  return "up";
}

void append_endpoint(std::string& out, const proxy::OriginPool& pool, size_t i) {
  const proxy::EndpointState& s = pool.state(i);
  auto it = std::back_inserter(out);
  uint64_t ewma = s.ewma_ttfb_us.load(std::memory_order_relaxed);
  int64_t until = s.ejected_until_ms.load(std::memory_order_relaxed);
  int64_t left = s.ejected.load(std::memory_order_relaxed)
                     ? std::max<int64_t>(0, until - proxy::steady_now_ms())
                     : 0;
  fmt::format_to(
      it,
      "{{\"name\":{},\"weight\":{},\"state\":\"{}\",\"admin\":\"{}\","
      "\"in_flight\":{},\"ewma_ttfb_ms\":{:.3f},\"requests\":{},\"failures\":{},"
      "\"ejections\":{},\"ejected_for_ms\":{},\"check_passes\":{},"
      "\"check_failures\":{}}}",
      quoted(pool.endpoint(i).name), pool.balancer().spec(i).weight, endpoint_state_name(s),
      proxy::admin_state_name(s.admin()), s.in_flight.load(std::memory_order_relaxed),
      static_cast<double>(ewma) / 1000.0, s.requests.load(std::memory_order_relaxed),
      s.failures.load(std::memory_order_relaxed), s.ejections.load(std::memory_order_relaxed), left,
      s.check_passes.load(std::memory_order_relaxed),
      s.check_failures.load(std::memory_order_relaxed));
}

AdminResponse error(int status, std::string_view message) {
  AdminResponse r;
  r.status = status;
  r.body = "{\"error\":" + quoted(message) + "}\n";
  return r;
}

}  // namespace

std::string origins_json(const proxy::OriginSet& origins) {
  std::string out = "{\"pools\":[";
  bool first_pool = true;
  for (const auto& pool : origins.pools()) {
    if (!first_pool) out.push_back(',');
    first_pool = false;
    const config::Pool& cfg = pool->config();
    fmt::format_to(std::back_inserter(out),
                   "{{\"name\":{},\"steering\":\"{}\",\"usable\":{},\"min_healthy\":{},"
                   "\"health_check\":{},\"retries\":{},\"retry_budget_exhausted\":{},"
                   "\"shed\":{},\"endpoints\":[",
                   quoted(pool->name()), config::steering_name(cfg.steering), pool->usable_count(),
                   cfg.min_healthy, cfg.health_check.enabled ? "true" : "false",
                   pool->retries.load(std::memory_order_relaxed),
                   pool->budget_exhausted.load(std::memory_order_relaxed),
                   pool->shed.load(std::memory_order_relaxed));
    for (size_t i = 0; i < pool->size(); ++i) {
      if (i > 0) out.push_back(',');
      append_endpoint(out, *pool, i);
    }
    out.append("]}");
  }
  out.append("]}\n");
  return out;
}

AdminResponse origin_action(const proxy::OriginSet& origins, std::string_view rest) {
  size_t first = rest.find('/');
  size_t last = rest.rfind('/');
  if (first == std::string_view::npos || first == last) {
    return error(404, "expected /origins/<pool>/<endpoint>/<drain|disable|enable>");
  }
  std::string_view pool_name = rest.substr(0, first);
  std::string_view endpoint_name = rest.substr(first + 1, last - first - 1);
  std::string_view action = rest.substr(last + 1);
  proxy::OriginPool* pool = origins.pool(pool_name);
  if (pool == nullptr) return error(404, "no pool named " + std::string(pool_name));
  auto index = pool->find(endpoint_name);
  if (!index) {
    return error(
        404, "pool " + std::string(pool_name) + " has no endpoint " + std::string(endpoint_name));
  }
  proxy::AdminState state;
  if (action == "drain") {
    state = proxy::AdminState::kDraining;
  } else if (action == "disable") {
    state = proxy::AdminState::kDisabled;
  } else if (action == "enable") {
    state = proxy::AdminState::kEnabled;
  } else {
    return error(404, "unknown action " + std::string(action) + " (drain, disable or enable)");
  }
  pool->set_admin(*index, state);
  AdminResponse r;
  append_endpoint(r.body, *pool, *index);
  r.body.push_back('\n');
  return r;
}

void render_origin_metrics(const proxy::OriginSet& origins, std::string& out) {
  auto it = std::back_inserter(out);
  auto per_endpoint = [&](std::string_view name, std::string_view type, std::string_view help,
                          auto value) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    for (const auto& pool : origins.pools()) {
      for (size_t i = 0; i < pool->size(); ++i) {
        fmt::format_to(it, "{}{{{}}} {}\n", name, pool->endpoint(i).labels, value(pool->state(i)));
      }
    }
  };
  per_endpoint("rampart_origin_up", "gauge",
               "1 when the endpoint passes its health checks and is not ejected.",
               [](const proxy::EndpointState& s) {
                 return s.healthy.load(std::memory_order_relaxed) &&
                                !s.ejected.load(std::memory_order_relaxed)
                            ? 1
                            : 0;
               });
  per_endpoint("rampart_origin_enabled", "gauge",
               "1 unless an operator drained or disabled the endpoint.",
               [](const proxy::EndpointState& s) {
                 return s.admin() == proxy::AdminState::kEnabled ? 1 : 0;
               });
  per_endpoint(
      "rampart_origin_in_flight", "gauge", "Requests in flight to the endpoint.",
      [](const proxy::EndpointState& s) { return s.in_flight.load(std::memory_order_relaxed); });
  per_endpoint(
      "rampart_origin_requests_total", "counter", "Tries sent to the endpoint.",
      [](const proxy::EndpointState& s) { return s.requests.load(std::memory_order_relaxed); });
  per_endpoint(
      "rampart_origin_failures_total", "counter",
      "Tries that failed: connect failures, resets, timeouts, 5xx answers.",
      [](const proxy::EndpointState& s) { return s.failures.load(std::memory_order_relaxed); });
  per_endpoint(
      "rampart_origin_ejections_total", "counter", "Times outlier detection ejected the endpoint.",
      [](const proxy::EndpointState& s) { return s.ejections.load(std::memory_order_relaxed); });
  auto per_pool = [&](std::string_view name, std::string_view help, auto value) {
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} counter\n", name, help, name);
    for (const auto& pool : origins.pools()) {
      fmt::format_to(it, "{}{{pool=\"{}\"}} {}\n", name, pool->name(), value(*pool));
    }
  };
  per_pool(
      "rampart_origin_retries_total",
      "Tries repeated on another endpoint: after connect failures (outside the retry budget) and "
      "as the retry budget allowed.",
      [](const proxy::OriginPool& p) { return p.retries.load(std::memory_order_relaxed); });
  per_pool("rampart_origin_retry_budget_exhausted_total",
           "Retries refused because the pool's retry budget was spent.",
           [](const proxy::OriginPool& p) {
             return p.budget_exhausted.load(std::memory_order_relaxed);
           });
  per_pool("rampart_origin_shed_total",
           "Requests answered 503 because every endpoint was at max_connections.",
           [](const proxy::OriginPool& p) { return p.shed.load(std::memory_order_relaxed); });
}

}  // namespace rampart::admin
