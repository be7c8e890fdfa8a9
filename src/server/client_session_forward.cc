// The origin half of a client session: pick an endpoint, reuse or open a connection,
// send the re-serialized request, stream the body, relay the response.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.h"
#include "http/h1_writer.h"
#include "proxy/hash64.h"
#include "server/client_session.h"
#include "server/session_io.h"

namespace rampart::server {

namespace {

using Clock = std::chrono::steady_clock;
using session_io::kNoThrow;
using session_io::millis_between;
constexpr size_t kInlineBodyMax = 16 * 1024;
constexpr http::ParserLimits kResponseLimits{16384, 65536, 200, 0};

std::string_view origin_form_target(const http::RequestHead& head, std::string& storage) {
  if (!head.target.empty() && (head.target.front() == '/' || head.target == "*"))
    return head.target;
  // Absolute-form from a client: origins get origin-form (RFC 9112 3.2.1).
  storage.assign(head.path.empty() ? std::string_view("/") : head.path);
  if (!head.query.empty()) storage.append("?").append(head.query);
  return storage;
}

enum class HeadRead : uint8_t { kOk, kClosedEarly, kTimeout, kError, kMalformed };

bool retry_wanted(uint8_t retry_on, config::RetryOn why) {
  return (retry_on & static_cast<uint8_t>(why)) != 0;
}

}  // namespace

// Waits (bounded by the pool's pending_timeout) for an endpoint to have a free
// connection slot when every usable one is at max_connections.
asio::awaitable<std::optional<size_t>> ClientSession::wait_for_endpoint(proxy::OriginPool& pool,
                                                                        EndpointPicker& picker) {
  const config::Pool& cfg = pool.config();
  if (cfg.max_pending == 0 ||
      pool.pending.fetch_add(1, std::memory_order_relaxed) >= cfg.max_pending) {
    if (cfg.max_pending != 0) pool.pending.fetch_sub(1, std::memory_order_relaxed);
    co_return std::nullopt;
  }
  auto give_up = Clock::now() + cfg.pending_timeout;
  core::Timer timer(worker_.io.get_executor());
  std::optional<size_t> got;
  // Slots free up on other workers without telling this one, so the wait polls, with a
  // short step that grows while the pool stays full.
  auto step = std::chrono::milliseconds(1);
  while (!got && Clock::now() < give_up && !closing_) {
    timer.expires_after(step);
    co_await timer.async_wait(kNoThrow);
    step = std::min(step * 2, std::chrono::milliseconds(16));
    got = picker.next();
    if (!got && !picker.all_full()) break;  // no longer full, but nothing usable
  }
  pool.pending.fetch_sub(1, std::memory_order_relaxed);
  co_return got;
}

asio::awaitable<ClientSession::Flow> ClientSession::forward(pipeline::RequestContext& ctx,
                                                            RequestRecord& record) {
  const config::Config& cfg = *snapshot_->config;
  const config::Timeouts& t = cfg.timeouts;
  const config::Origin& origin = ctx.site->origin;
  const config::RetryPolicy& policy = origin.retries;
  const proxy::OriginSet& origins = *snapshot_->origins;
  auto upstream_started = Clock::now();
  int64_t request_wall_time = wall_seconds();
  record.retry_after_s = static_cast<uint32_t>(origin.retry_after.count() / 1000);

  proxy::FailoverPlan routed;
  const proxy::FailoverPlan* plan = &origins.site_plan(ctx.site_index);
  if (ctx.route_pools != nullptr) {
    routed = origins.route_plan(*ctx.route_pools, ctx.route_fallback);
    if (!routed.pools.empty() || routed.fallback != nullptr) plan = &routed;
  }
  proxy::OriginPool* pool = proxy::OriginSet::choose(*plan);
  if (pool == nullptr) {
    record.error = "no origin endpoint is available";
    worker_.metrics.origin_unavailable.fetch_add(1, std::memory_order_relaxed);
    if (stale_may_answer()) co_return co_await respond_stale(ctx, record, 0, !body_done_);
    co_return co_await respond_local(503, record.error, !body_done_, record);
  }
  record.pool = pool->name();
  int64_t now_ms = proxy::steady_now_ms();
  pool->retry_budget().on_request(now_ms);

  // Replaying is safe only when the origin cannot have acted on the request: an
  // idempotent method whose whole request is still in hand (no streamed body).
  bool replayable = proxy::is_idempotent(a_->head.method) && a_->head.body == http::BodyKind::kNone;
  bool upgrade = a_->head.flags.upgrade && ctx.site->websocket &&
                 http::iequals(a_->head.upgrade_protocol, "websocket");
  std::string target_storage;
  std::string_view target = ctx.rewritten_target.empty()
                                ? origin_form_target(a_->head, target_storage)
                                : ctx.rewritten_target;
  auto per_try =
      policy.per_try_timeout.count() > 0 ? policy.per_try_timeout : t.upstream_first_byte;
  uint32_t max_tries = std::min<uint32_t>(policy.max_tries, EndpointPicker::kMaxTries);

  EndpointPicker picker(*pool, ctx, a_->head,
                        proxy::fmix64(++worker_.round_robin ^ (uint64_t{worker_.index} << 56) ^
                                      static_cast<uint64_t>(now_ms)));
  Upstream current;
  InFlight& in_flight = current.in_flight;
  std::unique_ptr<proxy::UpstreamConnection>& up = current.connection;
  size_t& endpoint = current.endpoint;
  bool hedge = policy.hedge_after.count() > 0 && replayable && !upgrade &&
               (a_->head.method == "GET" || a_->head.method == "HEAD");
  std::optional<size_t> chosen = picker.next();
  if (!chosen && picker.all_full()) chosen = co_await wait_for_endpoint(*pool, picker);
  if (!chosen) {
    bool full = picker.all_full();
    if (full) pool->shed.fetch_add(1, std::memory_order_relaxed);
    record.error = full ? "every origin endpoint is at its connection limit"
                        : "no origin endpoint is available";
    worker_.metrics.origin_unavailable.fetch_add(1, std::memory_order_relaxed);
    if (stale_may_answer()) co_return co_await respond_stale(ctx, record, 0, !body_done_);
    co_return co_await respond_local(503, record.error, !body_done_, record);
  }

  // Reused across requests: its header vector keeps its capacity.
  http::ResponseHead& response = a_->response;
  response.clear();
  size_t response_head_size = 0;
  bool fresh_only = false;
  bool request_sent = false;  // some of this request reached an origin
  int status_on_failure = 0;
  std::string_view failure;
  endpoint = *chosen;
  Clock::time_point try_started;

  // After a failed try: the next endpoint if the policy, the request and the retry
  // budget all allow another try; nullopt to give up with the failure at hand.
  // A connect failure reached no origin, so retrying it adds no load anywhere: it
  // moves on to the other endpoints (at most one try each) outside max_tries and the
  // budget, as a dead endpoint among live ones must not cost clients errors.
  uint32_t connect_failures = 0;
  auto next_try = [&](config::RetryOn why) -> std::optional<size_t> {
    bool unsent = why == config::RetryOn::kConnectFailure;
    if (unsent) ++connect_failures;
    if (!retry_wanted(policy.retry_on, why) || closing_) return std::nullopt;
    if (!unsent && record.tries - connect_failures >= max_tries) return std::nullopt;
    if (request_sent && !replayable) return std::nullopt;
    std::optional<size_t> next = unsent ? picker.next() : picker.next_within_budget();
    if (!next) return std::nullopt;
    pool->retries.fetch_add(1, std::memory_order_relaxed);
    worker_.metrics.upstream_retries.fetch_add(1, std::memory_order_relaxed);
    return next;
  };

  for (;;) {
    const proxy::OriginEndpoint& target_endpoint = pool->endpoint(endpoint);
    if (!fresh_only) {
      // A new try (not the free replay on a fresh connection after a stale pooled one).
      in_flight.adopt(*pool, endpoint);
      ++record.tries;
    }
    record.upstream = target_endpoint.name;
    try_started = Clock::now();
    // Replayable requests survive a stale pooled connection (one retry), so only
    // connections idle for a while are probed; others are probed every time.
    up = fresh_only
             ? nullptr
             : worker_.pool.acquire(target_endpoint.address, pool->transport(), t.upstream_idle,
                                    replayable ? std::chrono::seconds(2) : std::chrono::seconds(0));
    fresh_only = false;
    if (up) {
      worker_.metrics.upstream_reuses.fetch_add(1, std::memory_order_relaxed);
    } else {
      up = std::make_unique<proxy::UpstreamConnection>(core::Socket(worker_.io.get_executor()));
      up->endpoint = target_endpoint.address;
      up->max_idle = pool->config().max_idle;
      upstream_ = up.get();
      deadline_.expire_after(t.upstream_connect);
      proxy::ConnectResult connected =
          co_await up->io.connect(target_endpoint, pool->tls(), pool->http2());
      if (!connected.ok()) {
        bool timed_out = deadline_.expired();
        deadline_.reset_expired();
        worker_.metrics.upstream_connect_failures.fetch_add(1, std::memory_order_relaxed);
        pool->record(endpoint, proxy::TryOutcome::kConnectFailure, proxy::steady_now_ms());
        // A refused handshake is an unreachable origin to the client: the same 502,
        // the same move to the next endpoint.
        std::string reason = timed_out       ? std::string("timed out")
                             : connected.tls ? connected.tls->reason
                                             : connected.error.message();
        static core::LogRateLimiter limiter("origin connect failed");
        if (int64_t suppressed = limiter.admit(); suppressed >= 0) {
          core::log(core::LogLevel::kWarn, "{} origin {}/{} failed: {} (+{} suppressed)",
                    connected.tls ? "TLS handshake with" : "connect to", pool->name(),
                    record.upstream, reason, suppressed);
        }
        upstream_ = nullptr;
        up.reset();
        if (auto next = next_try(config::RetryOn::kConnectFailure)) {
          endpoint = *next;
          continue;
        }
        status_on_failure = timed_out ? 504 : 502;
        failure = timed_out       ? "origin connect timed out"
                  : connected.tls ? "origin TLS handshake failed"
                                  : "origin unreachable";
        break;
      }
      worker_.metrics.upstream_connects.fetch_add(1, std::memory_order_relaxed);
    }
    upstream_ = up.get();
    ++up->requests;

    a_->out.clear();
    http::write_request_head(a_->out, a_->head.method, target, a_->upstream_headers);
    if (!body_done_ && a_->head.body == http::BodyKind::kContentLength &&
        a_->head.content_length <= kInlineBodyMax && a_->head.content_length <= a_->rbuf.size()) {
      // A small body that already arrived goes out in the same write as the head.
      size_t n = static_cast<size_t>(a_->head.content_length);
      a_->out.append(a_->rbuf.readable().substr(0, n));
      a_->rbuf.consume(n);
      record.bytes_in += n;
      body_done_ = true;
    }
    deadline_.expire_after(t.send);
    auto [wec, wn] = co_await up->io.write(std::string_view(a_->out));
    if (wec) {
      if (up->reused && replayable && !deadline_.expired()) {
        worker_.metrics.upstream_retries.fetch_add(1, std::memory_order_relaxed);
        fresh_only = true;
        upstream_ = nullptr;
        continue;
      }
      deadline_.reset_expired();
      status_on_failure = 502;
      failure = "writing to origin failed";
      break;
    }
    request_sent = true;
    if (!body_done_) {
      if (a_->head.flags.expect_continue) {
        // rampart answers Expect itself (the header is not forwarded), right before it
        // starts reading the body, once it knows the origin is reachable.
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        if (!co_await write_client(kContinue)) break;
      }
      if (!co_await send_request_body(*up, record)) {
        if (record.status != 0) {
          // The client sent a broken or late body: answer it, the origin gets nothing more.
          upstream_ = nullptr;
          int status = record.status;
          co_return co_await respond_local(status, record.error, true, record);
        }
        if (closing_) break;  // the client went away
        status_on_failure = 502;
        failure = "sending the request body to the origin failed";
        break;
      }
    }

    // Response head, waiting at most the per-try timeout for it.
    deadline_.expire_after(per_try);
    if (hedge && record.tries == 1) {
      co_await hedge_if_slow(current, *pool, picker, policy.hedge_after, per_try, record);
    }
    HeadRead head_read = HeadRead::kOk;
    bool got_bytes = false;
    for (;;) {
      std::string_view data = up->buffer.readable();
      if (!data.empty()) {
        http::ParseResult r =
            http::parse_response_head(data, a_->head.method, kResponseLimits, response);
        if (r.status == http::ParseStatus::kComplete) {
          if (response.status >= 100 && response.status < 200 && response.status != 101) {
            up->buffer.consume(r.consumed);  // interim responses are not relayed
            continue;
          }
          // A small body of a request that may be retried is read whole before anything
          // goes to the client: an origin dying mid-body is then one more failed try,
          // not a truncated answer. The head is parsed again after each read, since
          // reading may move the buffer its fields point into.
          bool whole_body_first = replayable && response.body == http::BodyKind::kContentLength &&
                                  response.content_length <= kInlineBodyMax;
          if (!whole_body_first || data.size() - r.consumed >= response.content_length) {
            response_head_size = r.consumed;
            break;
          }
        }
        if (r.status == http::ParseStatus::kError) {
          head_read = HeadRead::kMalformed;
          break;
        }
      }
      auto [ptr, room] = up->buffer.prepare(4096);
      if (room == 0) {
        head_read = HeadRead::kMalformed;
        break;
      }
      auto [rec, n] = co_await up->io.read_some(asio::buffer(ptr, room));
      if (rec) {
        head_read = deadline_.expired() ? HeadRead::kTimeout
                    : got_bytes         ? HeadRead::kError
                                        : HeadRead::kClosedEarly;
        break;
      }
      got_bytes = true;
      up->buffer.commit(n);
    }
    if (head_read == HeadRead::kOk) {
      auto ttfb = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - try_started);
      in_flight.set_ttfb_us(static_cast<uint64_t>(ttfb.count()));
      bool server_error = response.status >= 500 && response.status <= 599;
      pool->record(endpoint, server_error ? proxy::TryOutcome::k5xx : proxy::TryOutcome::kSuccess,
                   proxy::steady_now_ms());
      if (server_error) {
        bool gateway = response.status >= 502 && response.status <= 504;
        std::optional<size_t> next;
        if (retry_wanted(policy.retry_on, config::RetryOn::k5xx)) {
          next = next_try(config::RetryOn::k5xx);
        } else if (gateway) {
          next = next_try(config::RetryOn::kGatewayError);
        }
        if (next) {
          // This answer is dropped; its connection goes with it (its body is unread).
          upstream_ = nullptr;
          up.reset();
          response.clear();
          endpoint = *next;
          continue;
        }
      }
      break;
    }
    if (head_read == HeadRead::kClosedEarly && up->reused && replayable) {
      // A pooled connection the origin closed just as we reused it: nothing was
      // processed, so one retry on a fresh connection is safe.
      worker_.metrics.upstream_retries.fetch_add(1, std::memory_order_relaxed);
      fresh_only = true;
      upstream_ = nullptr;
      continue;
    }
    upstream_ = nullptr;
    up.reset();
    config::RetryOn why = config::RetryOn::kReset;
    proxy::TryOutcome outcome = proxy::TryOutcome::kReset;
    if (head_read == HeadRead::kTimeout) {
      deadline_.reset_expired();
      worker_.metrics.timeouts.fetch_add(1, std::memory_order_relaxed);
      status_on_failure = 504;
      failure = "origin did not answer in time";
      why = config::RetryOn::kTimeout;
      outcome = proxy::TryOutcome::kTimeout;
    } else if (head_read == HeadRead::kMalformed) {
      status_on_failure = 502;
      failure = "origin sent a malformed response";
    } else {
      status_on_failure = 502;
      failure = "origin closed the connection without a response";
    }
    pool->record(endpoint, outcome, proxy::steady_now_ms());
    if (head_read != HeadRead::kMalformed) {
      if (auto next = next_try(why)) {
        endpoint = *next;
        status_on_failure = 0;
        failure = {};
        continue;
      }
    }
    break;
  }

  if (status_on_failure != 0 || !up || response.status == 0) {
    upstream_ = nullptr;
    record.upstream_ms = millis_between(upstream_started, Clock::now());
    if (closing_) co_return Flow::kClose;
    record.error = failure.empty() ? "origin failed" : failure;
    if (stale_may_answer()) co_return co_await respond_stale(ctx, record, 0, !body_done_);
    co_return co_await respond_local(status_on_failure != 0 ? status_on_failure : 502, record.error,
                                     !body_done_ || status_on_failure == 0, record);
  }
  record.upstream_ms = millis_between(upstream_started, Clock::now());
  if (cache_lookup_ != nullptr && cache_lookup_->stale) {
    if (response.status == 304 && cache_lookup_->revalidating) {
      // The stale copy is still good: refresh it and answer from it.
      auto refreshed = refresh_stored(*worker_.shared.cache, *cache_lookup_, response.headers,
                                      request_wall_time);
      if (cache_lookup_->fill) fill_from_object(*cache_lookup_->fill, *refreshed);
      up->buffer.consume(response_head_size);
      upstream_ = nullptr;
      if (response.keep_alive && up->buffer.empty()) worker_.pool.release(std::move(up));
      CacheHit hit = hit_of(std::move(refreshed));
      hit.cache_status = "rampart; fwd=stale; fwd-status=304; ttl=" + std::to_string(hit.ttl);
      hit.log_status = "revalidated";
      co_return co_await respond_from_cache(ctx, record, hit, !body_done_ || must_close_);
    }
    if (response.status >= 500 && stale_may_answer()) {
      upstream_ = nullptr;
      up.reset();  // its body is not read
      record.error = "origin answered with a server error";
      co_return co_await respond_stale(ctx, record, response.status, !body_done_);
    }
  }
  std::string affinity_cookie = picker.affinity_cookie(endpoint);
  record.status = response.status;
  invalidate_after_unsafe(*worker_.shared.cache, *ctx.site, a_->head, response);

  // Response head for the client.
  proxy::filter_response_headers(response, a_->response_headers);
  // Response inspection (the WAF's phases 3 and 4), before anything is stored or sent.
  std::string held_body;  // body bytes read ahead for inspection; relayed first
  bool holding = false;
  {
    const pipeline::Pipeline& pipeline = *snapshot_->pipeline;
    ctx.response_status = response.status;
    ctx.response_headers = &a_->response_headers;
    bool refused = pipeline.inspect_response(ctx) == pipeline::RequestResult::kRespond;
    bool tunnel_next = response.status == 101 || (a_->head.method == "CONNECT" &&
                                                  response.status >= 200 && response.status < 300);
    size_t limit = 0;
    if (!refused && !tunnel_next && a_->head.method != "HEAD" &&
        response.body != http::BodyKind::kNone) {
      limit = pipeline.response_body_limit(ctx);
    }
    if (limit > 0) {
      holding = true;
      std::string body;
      bool truncated = false;
      co_await hold_response_body(*up, response, response_head_size, limit, held_body, body,
                                  truncated);
      refused =
          pipeline.inspect_response_body(ctx, body, truncated) == pipeline::RequestResult::kRespond;
    }
    ctx.response_headers = nullptr;
    if (refused) {
      // The origin's answer is dropped unsent (its connection with it); requests waiting
      // on this fetch ask the origin themselves.
      upstream_ = nullptr;
      up.reset();
      if (cache_lookup_ != nullptr && cache_lookup_->fill) cache_lookup_->fill->pass();
      co_return co_await respond_redirect_or_local(ctx, record, !body_done_ || must_close_);
    }
  }
  std::string cache_status;
  std::optional<PendingStore> pending;
  if (cache_lookup_ != nullptr) {
    pending = prepare_store(*cache_lookup_, a_->head, response, a_->response_headers, cfg.cache,
                            request_wall_time, cache_status);
    if (const std::shared_ptr<cache::Fill>& fill = cache_lookup_->fill) {
      if (pending) {
        std::optional<uint64_t> length;
        if (response.body == http::BodyKind::kContentLength) length = response.content_length;
        if (response.body == http::BodyKind::kNone) length = 0;
        lead_fill(*pending, fill, length);
      } else {
        fill->pass();
      }
    }
  }
  ctx.response_status = response.status;
  ctx.response_headers = &a_->response_headers;
  snapshot_->pipeline->run_response(ctx);
  ctx.response_headers = nullptr;
  a_->response_headers.push_back({"Via", "1.1 rampart"});
  a_->response_headers.push_back({"X-Request-Id", ctx.request_id});
  add_config_header();
  if (!affinity_cookie.empty()) a_->response_headers.push_back({"Set-Cookie", affinity_cookie});
  if (!cache_status.empty()) a_->response_headers.push_back({"Cache-Status", cache_status});

  // A 2xx to CONNECT (allowed only when allow_connect is on) opens a tunnel, as a 101
  // does for an upgrade.
  bool connect_tunnel =
      a_->head.method == "CONNECT" && response.status >= 200 && response.status < 300;
  bool switching = (response.status == 101 && upgrade) || connect_tunnel;
  bool is_head = a_->head.method == "HEAD";
  bool client_keep_alive = !must_close_ && body_done_ && !switching &&
                           !worker_.shared.draining.load(std::memory_order_relaxed);
  bool chunk_to_client = false;
  Compression compression;
  std::optional<uint64_t> known_length;
  if (response.body == http::BodyKind::kContentLength) known_length = response.content_length;
  bool compressing =
      !switching &&
      begin_compression(compression, *ctx.site, response.status, a_->response_headers, known_length,
                        a_->head, !is_head && response.body != http::BodyKind::kNone);
  if (compressing) {
    a_->response_headers.push_back({"Transfer-Encoding", "chunked"});
    chunk_to_client = true;
  } else if (!is_head && (response.body == http::BodyKind::kChunked ||
                          response.body == http::BodyKind::kUntilClose)) {
    if (a_->head.version_minor >= 1) {
      a_->response_headers.push_back({"Transfer-Encoding", "chunked"});
      chunk_to_client = true;
    } else {
      client_keep_alive = false;  // an HTTP/1.0 client reads to the close
    }
  }
  if (switching && !connect_tunnel) {
    a_->response_headers.push_back({"Connection", "upgrade"});
    a_->response_headers.push_back({"Upgrade", response.find("upgrade")
                                                   ? response.find("upgrade")->value
                                                   : std::string_view("websocket")});
  } else if (!client_keep_alive && !connect_tunnel) {
    a_->response_headers.push_back({"Connection", "close"});
  } else if (a_->head.version_minor == 0) {
    a_->response_headers.push_back({"Connection", "keep-alive"});
  }
  a_->out.clear();
  http::write_response_head(a_->out, response.status, a_->response_headers);
  up->buffer.consume(response_head_size);
  if (holding) {
    // What was read ahead (it starts with what had come with the head) goes out first.
    up->buffer.consume(up->buffer.size());
    up->buffer.append(held_body);
    std::string().swap(held_body);
  }
  record.bytes_out += a_->out.size();
  bool body_follows = !switching && !is_head && response.body != http::BodyKind::kNone;
  // When body bytes came with the head, the head rides in the first body write (one
  // syscall per small response); otherwise it goes now, so a slow body never delays it.
  if (!body_follows || up->buffer.empty()) {
    bool ok = co_await write_client(a_->out);
    a_->out.clear();
    if (!ok) {
      upstream_ = nullptr;
      co_return Flow::kClose;
    }
  }

  if (switching) {
    co_await tunnel(*up, record);
    upstream_ = nullptr;
    co_return Flow::kClose;
  }

  pending_store_ = pending ? &*pending : nullptr;
  compression_ = compressing ? &compression : nullptr;
  bool relayed = is_head || response.body == http::BodyKind::kNone ||
                 co_await relay_response_body(*up, response, chunk_to_client, record);
  pending_store_ = nullptr;
  compression_ = nullptr;
  if (relayed && pending) finish_store(*worker_.shared.cache, *cache_lookup_, *pending);
  upstream_ = nullptr;
  if (relayed && response.keep_alive && up->buffer.empty() &&
      response.body != http::BodyKind::kUntilClose) {
    worker_.pool.release(std::move(up));
  }
  if (!relayed || closing_) co_return Flow::kClose;
  co_return client_keep_alive ? Flow::kKeepAlive : Flow::kClose;
}

}  // namespace rampart::server
