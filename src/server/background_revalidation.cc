#include "server/background_revalidation.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <string>
#include <utility>
#include <vector>

#include "core/deadline.h"
#include "core/log.h"
#include "http/h1_parser.h"
#include "http/h1_writer.h"
#include "proxy/forward_headers.h"
#include "proxy/hash64.h"
#include "server/cache_step.h"
#include "server/origin_choice.h"
#include "server/session_io.h"

namespace rampart::server {

namespace {

namespace asio = boost::asio;
constexpr http::ParserLimits kResponseLimits{16384, 65536, 200, 0};

// Everything the task needs, owned: the request that started it is gone by then.
struct Revalidation {
  std::shared_ptr<const Snapshot> snapshot;
  proxy::OriginPool* pool = nullptr;  // owned by the snapshot
  size_t endpoint = 0;
  CacheLookup lookup;               // key and stale copy
  pipeline::CacheDirectives rules;  // the request's cache rules (they point into the snapshot)
  std::string request_bytes;
  std::vector<std::pair<std::string, std::string>> request_fields;  // for storability
  int64_t request_time = 0;
};

enum class BodyRead : uint8_t { kDone, kFailed };

// Reads the response body after the head into `pending`, bounded by its limit.
asio::awaitable<BodyRead> read_body(proxy::UpstreamConnection& up, const http::ResponseHead& head,
                                    PendingStore& pending, core::Deadline& deadline,
                                    std::chrono::milliseconds idle) {
  auto fill = [&]() -> asio::awaitable<int> {  // 1 = bytes, 0 = EOF, -1 = error
    auto [ptr, room] = up.buffer.prepare(16384);
    deadline.expire_after(idle);
    auto [ec, n] = co_await up.io.read_some(asio::buffer(ptr, room));
    if (ec == asio::error::eof) co_return 0;
    if (ec) co_return -1;
    up.buffer.commit(n);
    co_return 1;
  };
  switch (head.body) {
    case http::BodyKind::kNone:
      co_return BodyRead::kDone;
    case http::BodyKind::kContentLength: {
      uint64_t remaining = head.content_length;
      while (remaining > 0 && !pending.overflow) {
        if (up.buffer.empty() && co_await fill() != 1) co_return BodyRead::kFailed;
        std::string_view data = up.buffer.readable();
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining, data.size()));
        pending.add_body(data.substr(0, take));
        up.buffer.consume(take);
        remaining -= take;
      }
      co_return pending.overflow ? BodyRead::kFailed : BodyRead::kDone;
    }
    case http::BodyKind::kChunked: {
      http::ChunkedDecoder decoder;
      while (!pending.overflow) {
        if (up.buffer.empty() && co_await fill() != 1) co_return BodyRead::kFailed;
        http::ChunkedDecoder::Step step = decoder.feed(up.buffer.readable());
        up.buffer.consume(step.consumed);
        if (step.status == http::ParseStatus::kError) co_return BodyRead::kFailed;
        pending.add_body(step.data);
        if (step.status == http::ParseStatus::kComplete) co_return BodyRead::kDone;
        if (step.consumed == 0 && step.data.empty() && co_await fill() != 1) {
          co_return BodyRead::kFailed;
        }
      }
      co_return BodyRead::kFailed;
    }
    case http::BodyKind::kUntilClose: {
      while (!pending.overflow) {
        if (up.buffer.empty()) {
          int got = co_await fill();
          if (got == 0) co_return BodyRead::kDone;
          if (got < 0) co_return BodyRead::kFailed;
        }
        pending.add_body(up.buffer.readable());
        up.buffer.consume(up.buffer.size());
      }
      co_return BodyRead::kFailed;
    }
  }
  co_return BodyRead::kFailed;
}

asio::awaitable<void> revalidate(WorkerContext& worker, std::unique_ptr<Revalidation> job) {
  struct Finish {  // the key is free for another validation however this ends
    WorkerContext& worker;
    Revalidation& job;
    std::shared_ptr<cache::Fill> marker;
    ~Finish() { worker.shared.revalidations.finish(job.lookup.key, marker); }
  } finish{worker, *job, job->lookup.fill};
  job->lookup.fill.reset();

  const config::Config& cfg = *job->snapshot->config;
  const config::Timeouts& t = cfg.timeouts;
  proxy::OriginPool& pool = *job->pool;
  InFlight in_flight;
  in_flight.adopt(pool, job->endpoint);
  const proxy::OriginEndpoint& endpoint = pool.endpoint(job->endpoint);
  auto up = worker.pool.acquire(endpoint.address, pool.transport(), t.upstream_idle,
                                std::chrono::seconds(0));
  proxy::UpstreamConnection* current = up.get();
  core::Deadline deadline(worker.io.get_executor(), [&current] {
    if (current != nullptr) current->io.close();
  });
  if (!up) {
    up = std::make_unique<proxy::UpstreamConnection>(core::Socket(worker.io.get_executor()));
    up->endpoint = endpoint.address;  // the idle pool files it under its endpoint
    up->max_idle = pool.config().max_idle;
    current = up.get();
    deadline.expire_after(t.upstream_connect);
    proxy::ConnectResult connected = co_await up->io.connect(endpoint, pool.tls(), pool.http2());
    if (!connected.ok()) {
      pool.record(job->endpoint, proxy::TryOutcome::kConnectFailure, proxy::steady_now_ms());
      co_return;
    }
  }
  deadline.expire_after(t.send);
  auto [wec, wn] = co_await up->io.write(std::string_view(job->request_bytes));
  if (wec) co_return;

  http::ResponseHead response;
  size_t head_size = 0;
  deadline.expire_after(t.upstream_first_byte);
  for (;;) {
    std::string_view data = up->buffer.readable();
    if (!data.empty()) {
      http::ParseResult r = http::parse_response_head(data, "GET", kResponseLimits, response);
      if (r.status == http::ParseStatus::kComplete) {
        if (response.status >= 100 && response.status < 200) {
          up->buffer.consume(r.consumed);
          continue;
        }
        head_size = r.consumed;
        break;
      }
      if (r.status == http::ParseStatus::kError) co_return;
    }
    auto [ptr, room] = up->buffer.prepare(4096);
    if (room == 0) co_return;
    auto [rec, n] = co_await up->io.read_some(asio::buffer(ptr, room));
    if (rec) {
      if (deadline.expired()) {
        pool.record(job->endpoint, proxy::TryOutcome::kTimeout, proxy::steady_now_ms());
      }
      co_return;
    }
    up->buffer.commit(n);
  }
  bool server_error = response.status >= 500;
  pool.record(job->endpoint, server_error ? proxy::TryOutcome::k5xx : proxy::TryOutcome::kSuccess,
              proxy::steady_now_ms());
  cache::TieredStore& store = *worker.shared.cache;
  bool reusable = false;
  if (response.status == 304) {
    refresh_stored(store, job->lookup, response.headers, job->request_time);
    up->buffer.consume(head_size);
    reusable = true;
  } else if (!server_error) {
    // A changed resource: store the new representation as a miss would.
    std::vector<http::Header> fields;
    proxy::filter_response_headers(response, fields);
    http::RequestHead head;
    head.method = "GET";
    for (const auto& [name, value] : job->request_fields) head.headers.push_back({name, value});
    std::string cache_status;
    std::optional<PendingStore> pending = prepare_store(job->lookup, head, response, fields,
                                                        cfg.cache, job->request_time, cache_status);
    if (pending) {
      // Header views point into the buffer the body is read through: copied by now.
      up->buffer.consume(head_size);
      BodyRead read = co_await read_body(*up, response, *pending, deadline, t.upstream_idle);
      if (read == BodyRead::kDone) {
        finish_store(store, job->lookup, *pending);
        reusable = response.body != http::BodyKind::kUntilClose;
      }
    }
  }
  deadline.disarm();
  if (reusable && response.keep_alive && up->buffer.empty()) {
    current = nullptr;
    worker.pool.release(std::move(up));
  }
}

}  // namespace

void start_background_revalidation(WorkerContext& worker, std::shared_ptr<const Snapshot> snapshot,
                                   pipeline::RequestContext& ctx, std::string_view key,
                                   std::shared_ptr<const cache::CachedObject> stale,
                                   std::span<const http::Header> upstream_headers) {
  cache::FillRegistry::Joined joined = worker.shared.revalidations.join(key, 0);
  if (!joined.leader) return;
  auto job = std::make_unique<Revalidation>();
  job->lookup.eligible = true;
  job->lookup.key.assign(key);
  job->lookup.miss = "stale";
  job->lookup.fill = joined.fill;  // the registry's marker, released when the task ends
  job->rules = ctx.cache;
  job->lookup.rules = &job->rules;
  auto give_up = [&] { worker.shared.revalidations.finish(key, joined.fill); };

  const proxy::OriginSet& origins = *snapshot->origins;
  proxy::FailoverPlan routed;
  const proxy::FailoverPlan* plan = &origins.site_plan(ctx.site_index);
  if (ctx.route_pools != nullptr) {
    routed = origins.route_plan(*ctx.route_pools, ctx.route_fallback);
    if (!routed.pools.empty() || routed.fallback != nullptr) plan = &routed;
  }
  proxy::OriginPool* pool = proxy::OriginSet::choose(*plan);
  if (pool == nullptr) return give_up();
  EndpointPicker picker(*pool, ctx, ctx.request,
                        proxy::fmix64(++worker.round_robin ^ (uint64_t{worker.index} << 56)));
  std::optional<size_t> endpoint = picker.next();
  if (!endpoint) return give_up();
  // The picker counted the claim in flight; the task's InFlight takes it over.
  job->pool = pool;
  job->endpoint = *endpoint;

  std::vector<http::Header> fields(upstream_headers.begin(), upstream_headers.end());
  if (!add_validators(*stale, fields)) return give_up();
  std::string target(ctx.rewritten_target.empty() ? std::string_view(ctx.request.target)
                                                  : ctx.rewritten_target);
  if (target.empty() || (target.front() != '/' && target != "*")) {
    target.assign(ctx.request.path.empty() ? std::string_view("/") : ctx.request.path);
    if (!ctx.request.query.empty()) target.append("?").append(ctx.request.query);
  }
  http::write_request_head(job->request_bytes, "GET", target, fields);
  for (const http::Header& h : ctx.request.headers) {
    job->request_fields.emplace_back(std::string(h.name), std::string(h.value));
  }
  job->lookup.stale = std::move(stale);
  job->snapshot = std::move(snapshot);
  job->request_time = wall_seconds();
  asio::co_spawn(worker.io, revalidate(worker, std::move(job)), asio::detached);
}

}  // namespace rampart::server
