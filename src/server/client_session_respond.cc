// How a client session ends a request: local responses (redirects, error pages, rule
// answers) and the bookkeeping every request gets at its end (access log, metrics).

#include <boost/asio/write.hpp>

#include "core/log.h"
#include "http/h1_writer.h"
#include "server/access_log.h"
#include "server/client_session.h"
#include "server/error_page.h"

namespace rampart::server {

namespace {

using Clock = std::chrono::steady_clock;

double millis_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

asio::awaitable<ClientSession::Flow> ClientSession::respond_redirect_or_local(
    pipeline::RequestContext& ctx, RequestRecord& record, bool must_close) {
  must_close = must_close || must_close_;
  const pipeline::LocalResponse& local = ctx.local_response;
  if (local.status >= 400) record.error = local.reason;  // a redirect is no error
  if (local.location.empty() && local.content_type.empty()) {
    co_return co_await respond_local(local.status, "The request was refused at the edge.",
                                     must_close, record, local.headers);
  }
  record.status = local.status;
  a_->response_headers.clear();
  std::string_view body = local.body;
  std::string content_length = std::to_string(body.size());
  if (!local.location.empty()) a_->response_headers.push_back({"Location", local.location});
  if (!local.content_type.empty())
    a_->response_headers.push_back({"Content-Type", local.content_type});
  a_->response_headers.push_back({"Content-Length", content_length});
  a_->response_headers.push_back({"X-Request-Id", ctx.request_id});
  add_config_header();
  for (const http::Header& h : local.headers) a_->response_headers.push_back(h);
  if (must_close) a_->response_headers.push_back({"Connection", "close"});
  a_->out.clear();
  http::write_response_head(a_->out, local.status, a_->response_headers);
  if (a_->head.method != "HEAD") a_->out.append(body);
  record.bytes_out += a_->out.size();
  bool ok = co_await write_client(a_->out);
  co_return (ok && !must_close) ? Flow::kKeepAlive : Flow::kClose;
}

void ClientSession::add_config_header() {
  if (snapshot_ && snapshot_->config->safety.config_header) {
    a_->response_headers.push_back({"X-Rampart-Config", snapshot_->config->version});
  }
}

asio::awaitable<ClientSession::Flow> ClientSession::respond_local(
    int status, std::string_view message, bool must_close, RequestRecord& record,
    std::span<const http::Header> extra) {
  // Whatever the caller knows, a connection this request must close (the client asked,
  // the per-connection request limit, a drain) is announced: a client that is not told
  // reuses the connection and finds it closed under its next request.
  must_close = must_close || must_close_;
  record.status = status;
  const http::Header* accept = a_->head.method.empty() ? nullptr : a_->head.find("accept");
  std::string_view version = snapshot_ ? std::string_view(snapshot_->config->version) : "";
  ErrorPage page = render_error_page(status, message, {request_id_, sizeof(request_id_)}, version,
                                     accept != nullptr && accepts_json(accept->value));
  std::string content_length = std::to_string(page.body.size());
  a_->response_headers.clear();
  a_->response_headers.push_back({"Content-Type", page.content_type});
  a_->response_headers.push_back({"Content-Length", content_length});
  a_->response_headers.push_back({"Cache-Control", "no-store"});
  a_->response_headers.push_back({"X-Request-Id", {request_id_, sizeof(request_id_)}});
  add_config_header();
  std::string retry_after = std::to_string(record.retry_after_s);
  if (status == 503) a_->response_headers.push_back({"Retry-After", retry_after});
  for (const http::Header& h : extra) a_->response_headers.push_back(h);
  if (must_close) a_->response_headers.push_back({"Connection", "close"});
  a_->out.clear();
  http::write_response_head(a_->out, status, a_->response_headers);
  if (a_->head.method != "HEAD") a_->out.append(page.body);
  record.bytes_out += a_->out.size();
  bool ok = co_await write_client(a_->out);
  co_return (ok && !must_close) ? Flow::kKeepAlive : Flow::kClose;
}

void ClientSession::count_cache_result(std::string_view result) {
  if (result.empty()) return;
  std::atomic<uint64_t>* counter = result == "hit"           ? &worker_.metrics.cache_hit
                                   : result == "miss"        ? &worker_.metrics.cache_miss
                                   : result == "stale"       ? &worker_.metrics.cache_stale
                                   : result == "revalidated" ? &worker_.metrics.cache_revalidated
                                                             : &worker_.metrics.cache_collapsed;
  counter->fetch_add(1, std::memory_order_relaxed);
}

void ClientSession::finish_request(const pipeline::RequestContext* ctx, const RequestRecord& record,
                                   Clock::time_point started) {
  auto now = Clock::now();
  double total_ms = millis_between(started, now);
  worker_.shared.metrics.observe_latency(worker_.index, total_ms / 1000.0);
  const config::Config* cfg = snapshot_ ? snapshot_->config.get() : nullptr;
  SiteCounters* counters = nullptr;
  if (ctx != nullptr && ctx->site != nullptr) {
    counters = snapshot_->site_counters[ctx->site_index];
  } else {
    static SiteCounters* none = worker_.shared.metrics.site("_none");
    counters = none;
  }
  counters->count(worker_.index, record.status);
  if (snapshot_) {
    // Answered by rampart: no origin was asked, or the origin's failure became our answer.
    bool by_rampart = record.upstream.empty() || !record.error.empty();
    snapshot_->served->count(worker_.index, record.status, by_rampart, total_ms / 1000.0);
  }
  count_cache_result(record.cache);
  if (ctx != nullptr) snapshot_->pipeline->run_log(*ctx);

  core::LineWriter* log = worker_.shared.access_log.load(std::memory_order_acquire);
  if (log == nullptr) return;
  std::string client_ip = ctx != nullptr ? ctx->client_ip.to_string() : peer_.to_string();
  AccessRecord a;
  a.request_id = {request_id_, sizeof(request_id_)};
  a.client_ip = client_ip;
  a.host = a_->head.host;
  a.method = a_->head.method;
  a.path = a_->head.path.empty() ? a_->head.target : a_->head.path;
  a.protocol = protocol();
  if (info_ != nullptr && info_->tls != nullptr) {
    a.tls = true;
    a.ja4 = info_->tls->facts.ja4;
  }
  a.status = record.status;
  a.bytes_in = record.bytes_in;
  a.bytes_out = record.bytes_out;
  a.upstream = record.upstream;
  a.pool = record.pool;
  a.cache = record.cache;
  a.tries = record.tries;
  a.upstream_ms = record.upstream_ms;
  a.total_ms = total_ms;
  a.config_version = cfg != nullptr ? std::string_view(cfg->version) : "";
  a.site = (ctx != nullptr && ctx->site != nullptr) ? std::string_view(ctx->site->name) : "";
  if (ctx != nullptr) {
    a.verdicts = ctx->verdicts();
    a.rules = ctx->matched_rules();
    a.module_fields = ctx->log_fields();
  }
  a.error = record.error;
  worker_.log_line.clear();
  format_access_line(worker_.log_line, a);
  log->write(worker_.log_line);
}

}  // namespace rampart::server
