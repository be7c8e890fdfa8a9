#include "admin/admin_server.h"

#include <fmt/format.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "admin/cache_api.h"
#include "admin/modules_api.h"
#include "admin/origins_api.h"
#include "core/listener.h"
#include "core/log.h"
#include "core/read_buffer.h"
#include "feeds/registry.h"
#include "http/h1_parser.h"
#include "http/h1_writer.h"
#include "pipeline/extensions.h"
#include "server/error_page.h"

namespace rampart::admin {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Compares without an early exit so response timing does not reveal the token.
bool token_matches(std::string_view given, std::string_view expected) {
  if (given.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < given.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  }
  return diff == 0;
}

// A mutation needs the config's bearer token; otherwise `response` gets 401 or 403.
bool authorized(const server::Snapshot& snapshot, std::string_view authorization,
                AdminResponse& response) {
  const std::string& token = snapshot.config->admin.token;
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.empty()) {
    response.status = 401;
    response.body = "{\"error\":\"missing bearer token\"}\n";
    return false;
  }
  if (token.empty() || !authorization.starts_with(kBearer) ||
      !token_matches(authorization.substr(kBearer.size()), token)) {
    response.status = 403;
    response.body = "{\"error\":\"invalid token\"}\n";
    return false;
  }
  return true;
}

std::string json_string(std::string_view value) {
  std::string out = "\"";
  server::append_json_escaped(out, value);
  out.push_back('"');
  return out;
}

std::string status_json(server::Server& server) {
  auto snapshot = server.snapshot();
  const config::Config& cfg = *snapshot->config;
  double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - server.started_at()).count();
  std::string out = fmt::format(
      "{{\"status\":\"ok\",\"version\":\"{}\",\"config_version\":{},\"config_source\":{},"
      "\"workers\":{},\"uptime_seconds\":{:.1f},\"active_connections\":{},\"sites\":{},"
      "\"reloads\":{},\"reload_failures\":{},\"modules\":[",
      RAMPART_VERSION_STRING, json_string(cfg.version), json_string(cfg.source),
      server.worker_count(), uptime, server.metrics().active_connections(), cfg.sites.size(),
      server.metrics().reloads.load(), server.metrics().reload_failures.load());
  bool first = true;
  for (const pipeline::ModuleStats& m : snapshot->pipeline->stats()) {
    if (!first) out.push_back(',');
    first = false;
    fmt::format_to(std::back_inserter(out),
                   "{{\"name\":{},\"failures\":{},\"fail_mode\":\"{}\",\"enabled\":{}}}",
                   json_string(m.name), m.failures, m.fail_closed ? "closed" : "open",
                   m.killed ? "false" : "true");
  }
  out.append("],\"last_reload_errors\":[");
  first = true;
  for (const std::string& e : server.last_reload_errors()) {
    if (!first) out.push_back(',');
    first = false;
    out.append(json_string(e));
  }
  out.append("]}\n");
  return out;
}

void append_tally(std::string& out, const server::Tally& t) {
  fmt::format_to(std::back_inserter(out),
                 "{{\"requests\":{},\"rampart_5xx\":{},\"origin_5xx\":{},"
                 "\"module_failures\":{},\"error_rate\":{:.4f},\"p95_ms\":{:.1f}}}",
                 t.requests, t.errors, t.origin_errors, t.module_failures, t.error_rate(),
                 t.p95_seconds() * 1000);
}

// GET /config: the running and candidate versions, the trial and the last decision.
std::string config_json(server::Server& server) {
  server::DeploymentState d = server.deployment_state();
  auto optional = [](const std::string& v) { return v.empty() ? "null" : json_string(v); };
  std::string out = fmt::format(
      "{{\"current_version\":{},\"candidate_version\":{},\"state\":\"{}\","
      "\"canary_percent\":{},\"elapsed_s\":{:.1f},\"window_s\":{:.1f},\"running\":",
      json_string(d.current_version), optional(d.candidate_version), d.state, d.canary_percent,
      d.elapsed_s, d.window_s);
  append_tally(out, d.running);
  out.append(",\"candidate\":");
  append_tally(out, d.candidate);
  out.append(",\"rollout\":");
  if (d.rollout_node.empty()) {
    out.append("null");
  } else {
    fmt::format_to(std::back_inserter(out),
                   "{{\"node\":{},\"group\":{},\"waiting_for\":{},\"redis\":\"{}\",\"gone\":[",
                   json_string(d.rollout_node), d.rollout_group, optional(d.waiting_for),
                   d.redis_reachable ? "ok" : "unreachable");
    for (size_t i = 0; i < d.gone.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(json_string(d.gone[i]));
    }
    out.append("]}");
  }
  out.append(",\"last_decision\":");
  if (d.last_action.empty()) {
    out.append("null");
  } else {
    fmt::format_to(std::back_inserter(out),
                   "{{\"action\":{},\"version\":{},\"reason\":{},\"at\":{}}}",
                   json_string(d.last_action), json_string(d.last_version),
                   json_string(d.last_reason), json_string(d.last_at));
  }
  out.append("}\n");
  return out;
}

asio::awaitable<void> serve_admin_connection(core::Socket socket, server::Server& server) {
  core::ReadBuffer buffer(4096, 65536);
  http::ParserLimits limits{8192, 65536, 100, 1 << 20};
  http::RequestHead head;
  core::Timer timer(socket.get_executor());
  for (;;) {
    // Admin requests are small; a slow admin client gets 10 s, then is dropped.
    timer.expires_after(std::chrono::seconds(10));
    timer.async_wait([&socket](const boost::system::error_code& ec) {
      if (!ec) {
        boost::system::error_code ignored;
        socket.cancel(ignored);
      }
    });
    http::ParseResult parsed;
    for (;;) {
      if (!buffer.empty()) {
        parsed = http::parse_request_head(buffer.readable(), limits, head);
        if (parsed.status != http::ParseStatus::kIncomplete) break;
      }
      auto [ptr, room] = buffer.prepare(1024);
      if (room == 0) {
        parsed.status = http::ParseStatus::kError;
        parsed.error = {431, "head too large"};
        break;
      }
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(ptr, room), kNoThrow);
      if (ec) co_return;
      buffer.commit(n);
    }
    AdminResponse response;
    bool close = true;
    if (parsed.status == http::ParseStatus::kError) {
      response.status = parsed.error.status;
      response.body = fmt::format("{{\"error\":{}}}\n", json_string(parsed.error.reason));
    } else {
      // Admin requests carry no meaningful body; skip a small one, refuse big ones.
      uint64_t body = head.body == http::BodyKind::kContentLength ? head.content_length : 0;
      if (head.body == http::BodyKind::kChunked || body > buffer.size() - parsed.consumed) {
        response.status = 400;
        response.body = "{\"error\":\"request bodies are not accepted\"}\n";
      } else {
        const http::Header* auth = head.find("authorization");
        response = handle_admin_request(server, head.method, head.path, head.query,
                                        auth != nullptr ? auth->value : std::string_view());
        close = !head.flags.keep_alive;
      }
      buffer.consume(parsed.consumed + body);
    }
    std::string content_length = std::to_string(response.body.size());
    std::vector<http::Header> headers = {{"Content-Type", response.content_type},
                                         {"Content-Length", content_length},
                                         {"Cache-Control", "no-store"}};
    if (close) headers.push_back({"Connection", "close"});
    std::string out;
    http::write_response_head(out, response.status, headers);
    if (head.method != "HEAD") out.append(response.body);
    timer.cancel();
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), kNoThrow);
    if (ec || close) break;
  }
  boost::system::error_code ignored;
  socket.shutdown(core::Socket::shutdown_send, ignored);
}

asio::awaitable<void> admin_accept_loop(core::Acceptor& acceptor, server::Server& server) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(kNoThrow);
    if (ec) {
      if (!acceptor.is_open()) co_return;
      continue;
    }
    asio::co_spawn(acceptor.get_executor(), serve_admin_connection(std::move(socket), server),
                   asio::detached);
  }
}

}  // namespace

AdminResponse handle_admin_request(server::Server& server, std::string_view method,
                                   std::string_view path, std::string_view query,
                                   std::string_view authorization) {
  AdminResponse response;
  auto snapshot = server.snapshot();
  if (path == "/status" && (method == "GET" || method == "HEAD")) {
    response.body = status_json(server);
    return response;
  }
  if (path == "/metrics" && (method == "GET" || method == "HEAD")) {
    response.content_type = "text/plain; version=0.0.4";
    server.metrics().render(response.body, snapshot->config->version);
    render_origin_metrics(*snapshot->origins, response.body);
    render_cache_metrics(server.cache(), response.body);
    feeds::Registry::instance().render_metrics(response.body);
    render_module_metrics(*snapshot->pipeline, snapshot->config->version, response.body);
    std::string_view last_metric;
    for (const pipeline::CounterSample& c : snapshot->pipeline->counters()) {
      auto out = std::back_inserter(response.body);
      if (c.metric != last_metric) {
        fmt::format_to(out, "# HELP {} {}\n# TYPE {} {}\n", c.metric, c.help, c.metric,
                       c.gauge ? "gauge" : "counter");
        last_metric = c.metric;
      }
      fmt::format_to(out, "{}{{{}=\"{}\"}} {}\n", c.metric, c.label, c.label_value, c.value);
    }
    return response;
  }
  if (path == "/origins" && (method == "GET" || method == "HEAD")) {
    response.body = origins_json(*snapshot->origins);
    return response;
  }
  if (path.starts_with("/origins/")) {
    if (method != "POST") {
      response.status = 405;
      response.body = "{\"error\":\"use POST\"}\n";
      return response;
    }
    if (!authorized(*snapshot, authorization, response)) return response;
    return origin_action(*snapshot->origins, path.substr(std::string_view("/origins/").size()));
  }
  if (path == "/feeds" && (method == "GET" || method == "HEAD")) {
    response.body = feeds::Registry::instance().to_json();
    return response;
  }
  // POST /feeds/<name>/accept: apply a held-back data-feed version.
  if (path.starts_with("/feeds/") && path.ends_with("/accept")) {
    if (method != "POST") {
      response.status = 405;
      response.body = "{\"error\":\"use POST\"}\n";
      return response;
    }
    if (!authorized(*snapshot, authorization, response)) return response;
    std::string_view name = path.substr(7, path.size() - 7 - 7);
    response.status = feeds::Registry::instance().accept(name, response.body);
    return response;
  }
  if (path == "/modules" && (method == "GET" || method == "HEAD")) {
    response.body = modules_json(*snapshot->pipeline, snapshot->config->version);
    return response;
  }
  if (path.starts_with("/modules/")) {
    if (method != "POST") {
      response.status = 405;
      response.body = "{\"error\":\"use POST\"}\n";
      return response;
    }
    if (!authorized(*snapshot, authorization, response)) return response;
    return module_action(path.substr(std::string_view("/modules/").size()));
  }
  if (path == "/cache/purge") {
    if (method != "POST") {
      response.status = 405;
      response.body = "{\"error\":\"use POST\"}\n";
      return response;
    }
    if (!authorized(*snapshot, authorization, response)) return response;
    return purge_cache(server.cache(), query);
  }
  if (path == "/config/reload") {
    if (method != "POST") {
      response.status = 405;
      response.body = "{\"error\":\"use POST\"}\n";
      return response;
    }
    if (!authorized(*snapshot, authorization, response)) return response;
    bool force = query == "force" || query == "force=1" || query == "force=true";
    server::ReloadOutcome outcome = server.reload(force);
    if (outcome.ok) {
      // "staged": on trial as a canary (GET /config follows it), not yet serving everyone.
      response.body = fmt::format("{{\"ok\":true,\"config_version\":{}{}}}\n",
                                  json_string(outcome.config_version),
                                  outcome.staged ? ",\"staged\":true" : "");
    } else {
      response.status = 400;
      response.body = fmt::format("{{\"ok\":false,\"config_version\":{},\"errors\":[",
                                  json_string(outcome.config_version));
      for (size_t i = 0; i < outcome.errors.size(); ++i) {
        if (i > 0) response.body.push_back(',');
        response.body.append(json_string(outcome.errors[i]));
      }
      response.body.append("]}\n");
    }
    return response;
  }
  if (path == "/config" && (method == "GET" || method == "HEAD")) {
    response.body = config_json(server);
    return response;
  }
  if (path == "/config/promote" || path == "/config/rollback") {
    if (method != "POST") {
      response.status = 405;
      response.body = "{\"error\":\"use POST\"}\n";
      return response;
    }
    if (!authorized(*snapshot, authorization, response)) return response;
    std::string message;
    bool done = path == "/config/promote" ? server.promote(message) : server.rollback(message);
    if (done) {
      response.body = fmt::format("{{\"ok\":true,\"config_version\":{}}}\n", json_string(message));
    } else {
      response.status = 409;
      response.body = fmt::format("{{\"ok\":false,\"error\":{}}}\n", json_string(message));
    }
    return response;
  }
  // Routes the modules serve (GET /ddos/mitigations, ...): a mutation needs the token.
  if (pipeline::has_admin_route(path)) {
    bool read_only = method == "GET" || method == "HEAD";
    if (!read_only && !authorized(*snapshot, authorization, response)) return response;
    if (auto reply = pipeline::call_admin_route(pipeline::AdminCall{method, path, query})) {
      response.status = reply->status;
      response.body = std::move(reply->body);
      return response;
    }
  }
  response.status = 404;
  response.body = "{\"error\":\"unknown admin endpoint\"}\n";
  return response;
}

AdminServer::AdminServer(asio::io_context& io, server::Server& server) : io_(io), server_(server) {}

bool AdminServer::start(std::string& error) {
  const config::Admin& admin = server_.snapshot()->config->admin;
  if (!admin.enabled) return true;
  auto endpoint = core::resolve_endpoint(admin.address.host, admin.address.port, error);
  if (!endpoint) return false;
  acceptor_ = std::make_unique<core::Acceptor>(io_.get_executor());
  if (!core::open_listener(*acceptor_, *endpoint, false, error)) return false;
  asio::co_spawn(io_, admin_accept_loop(*acceptor_, server_), asio::detached);
  core::log(core::LogLevel::kInfo, "admin API on http://{}", admin.address.to_string());
  return true;
}

void AdminServer::stop() {
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  }
}

}  // namespace rampart::admin
