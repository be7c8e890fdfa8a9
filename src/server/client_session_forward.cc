// The origin half of a client session: pick an endpoint, reuse or open a connection,
// send the re-serialized request, stream the body, relay the response.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "core/log.h"
#include "http/h1_writer.h"
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

}  // namespace

asio::awaitable<ClientSession::Flow> ClientSession::forward(pipeline::RequestContext& ctx,
                                                            RequestRecord& record) {
  const config::Config& cfg = *snapshot_->config;
  const config::Timeouts& t = cfg.timeouts;
  const auto& endpoints = snapshot_->endpoints[ctx.site_index];
  auto upstream_started = Clock::now();
  // Replaying is safe only when the origin cannot have acted on the request: an
  // idempotent method whose whole request is still in hand (no streamed body).
  bool replayable = proxy::is_idempotent(a_->head.method) && a_->head.body == http::BodyKind::kNone;
  bool upgrade = a_->head.flags.upgrade && ctx.site->websocket &&
                 http::iequals(a_->head.upgrade_protocol, "websocket");
  std::string target_storage;
  std::string_view target = ctx.rewritten_target.empty()
                                ? origin_form_target(a_->head, target_storage)
                                : ctx.rewritten_target;

  std::unique_ptr<proxy::UpstreamConnection> up;
  // Reused across requests: its header vector keeps its capacity.
  http::ResponseHead& response = a_->response;
  response.clear();
  size_t response_head_size = 0;
  bool fresh_only = false;
  size_t connect_failures = 0;
  bool connect_timed_out = false;
  size_t start = worker_.round_robin++;
  int status_on_failure = 0;
  std::string_view failure;

  for (size_t attempt = 0;; ++attempt) {
    if (endpoints.empty() || connect_failures >= endpoints.size()) {
      status_on_failure = connect_timed_out ? 504 : 502;
      failure = connect_timed_out ? "origin connect timed out" : "origin unreachable";
      break;
    }
    const tcp::endpoint& endpoint = endpoints[(start + connect_failures) % endpoints.size()];
    record.upstream =
        snapshot_->endpoint_names[ctx.site_index][(start + connect_failures) % endpoints.size()];
    // Replayable requests survive a stale pooled connection (one retry), so only
    // connections idle for a while are probed; others are probed every time.
    up = fresh_only
             ? nullptr
             : worker_.pool.acquire(endpoint, t.upstream_idle,
                                    replayable ? std::chrono::seconds(2) : std::chrono::seconds(0));
    if (up) {
      worker_.metrics.upstream_reuses.fetch_add(1, std::memory_order_relaxed);
    } else {
      up = std::make_unique<proxy::UpstreamConnection>(core::Socket(worker_.io.get_executor()));
      up->endpoint = endpoint;
      upstream_ = up.get();
      deadline_.expire_after(t.upstream_connect);
      auto [ec] = co_await up->socket.async_connect(endpoint, kNoThrow);
      if (ec) {
        if (deadline_.expired()) connect_timed_out = true;
        worker_.metrics.upstream_connect_failures.fetch_add(1, std::memory_order_relaxed);
        static core::LogRateLimiter limiter;
        if (int64_t suppressed = limiter.admit(); suppressed >= 0) {
          core::log(core::LogLevel::kWarn, "connect to origin {} failed: {} (+{} suppressed)",
                    record.upstream, connect_timed_out ? "timed out" : ec.message(), suppressed);
        }
        upstream_ = nullptr;
        up.reset();
        ++connect_failures;
        continue;
      }
      worker_.metrics.upstream_connects.fetch_add(1, std::memory_order_relaxed);
      boost::system::error_code ignored;
      up->socket.set_option(tcp::no_delay(true), ignored);
    }
    upstream_ = up.get();
    ++up->requests;

    a_->out.clear();
    http::write_request_head(a_->out, a_->head.method, target, a_->upstream_headers);
    if (a_->head.body == http::BodyKind::kContentLength &&
        a_->head.content_length <= kInlineBodyMax && a_->head.content_length <= a_->rbuf.size()) {
      // A small body that already arrived goes out in the same write as the head.
      size_t n = static_cast<size_t>(a_->head.content_length);
      a_->out.append(a_->rbuf.readable().substr(0, n));
      a_->rbuf.consume(n);
      record.bytes_in += n;
      body_done_ = true;
    }
    deadline_.expire_after(t.send);
    auto [wec, wn] = co_await asio::async_write(up->socket, asio::buffer(a_->out), kNoThrow);
    if (wec) {
      if (up->reused && replayable && !deadline_.expired()) {
        worker_.metrics.upstream_retries.fetch_add(1, std::memory_order_relaxed);
        fresh_only = true;
        upstream_ = nullptr;
        continue;
      }
      status_on_failure = 502;
      failure = "writing to origin failed";
      break;
    }
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

    // Response head, waiting at most upstream_first_byte for it.
    deadline_.expire_after(t.upstream_first_byte);
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
          response_head_size = r.consumed;
          break;
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
      auto [rec, n] = co_await up->socket.async_read_some(asio::buffer(ptr, room), kNoThrow);
      if (rec) {
        head_read = deadline_.expired() ? HeadRead::kTimeout
                    : got_bytes         ? HeadRead::kError
                                        : HeadRead::kClosedEarly;
        break;
      }
      got_bytes = true;
      up->buffer.commit(n);
    }
    if (head_read == HeadRead::kOk) break;
    if (head_read == HeadRead::kClosedEarly && up->reused && replayable) {
      // A pooled connection the origin closed just as we reused it: nothing was
      // processed, so one retry on a fresh connection is safe.
      worker_.metrics.upstream_retries.fetch_add(1, std::memory_order_relaxed);
      fresh_only = true;
      upstream_ = nullptr;
      continue;
    }
    if (head_read == HeadRead::kTimeout) {
      worker_.metrics.timeouts.fetch_add(1, std::memory_order_relaxed);
      status_on_failure = 504;
      failure = "origin did not answer in time";
    } else if (head_read == HeadRead::kMalformed) {
      status_on_failure = 502;
      failure = "origin sent a malformed response";
    } else {
      status_on_failure = 502;
      failure = "origin closed the connection without a response";
    }
    break;
  }

  if (status_on_failure != 0 || !up || response.status == 0) {
    upstream_ = nullptr;
    record.upstream_ms = millis_between(upstream_started, Clock::now());
    if (closing_) co_return Flow::kClose;
    record.error = failure.empty() ? "origin failed" : failure;
    co_return co_await respond_local(status_on_failure != 0 ? status_on_failure : 502, record.error,
                                     !body_done_ || status_on_failure == 0, record);
  }
  record.upstream_ms = millis_between(upstream_started, Clock::now());
  record.status = response.status;

  // Response head for the client.
  proxy::filter_response_headers(response, a_->response_headers);
  ctx.response_status = response.status;
  ctx.response_headers = &a_->response_headers;
  snapshot_->pipeline->run_response(ctx);
  ctx.response_headers = nullptr;
  a_->response_headers.push_back({"Via", "1.1 rampart"});
  a_->response_headers.push_back({"X-Request-Id", ctx.request_id});

  // A 2xx to CONNECT (allowed only when allow_connect is on) opens a tunnel, as a 101
  // does for an upgrade.
  bool connect_tunnel =
      a_->head.method == "CONNECT" && response.status >= 200 && response.status < 300;
  bool switching = (response.status == 101 && upgrade) || connect_tunnel;
  bool is_head = a_->head.method == "HEAD";
  bool client_keep_alive = !must_close_ && body_done_ && !switching &&
                           !worker_.shared.draining.load(std::memory_order_relaxed);
  bool chunk_to_client = false;
  if (!is_head &&
      (response.body == http::BodyKind::kChunked || response.body == http::BodyKind::kUntilClose)) {
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

  bool relayed = is_head || response.body == http::BodyKind::kNone ||
                 co_await relay_response_body(*up, response, chunk_to_client, record);
  upstream_ = nullptr;
  if (relayed && response.keep_alive && up->buffer.empty() &&
      response.body != http::BodyKind::kUntilClose) {
    worker_.pool.release(std::move(up));
  }
  if (!relayed || closing_) co_return Flow::kClose;
  co_return client_keep_alive ? Flow::kKeepAlive : Flow::kClose;
}

}  // namespace rampart::server
