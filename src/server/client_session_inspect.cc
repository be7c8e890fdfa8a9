// The request-body inspection of a client session: when a module asks for the body
// (Pipeline::request_body_limit), up to that many bytes are read before anything goes
// upstream and handed to the modules' body hooks. The bytes read ahead are kept as they
// came off the wire (SessionState::held_body) and send_request_body sends them first, so
// the origin gets the exact body, framed as it would have been without inspection.

#include <limits>

#include "http/h1_parser.h"
#include "server/client_session.h"
#include "server/session_io.h"

namespace rampart::server {

namespace {

using session_io::kBodyBufSize;

// How many wire bytes of a chunked body may be held for `limit` body bytes. Chunk
// framing costs a few bytes per chunk; a client framing its body in absurdly small
// chunks (or padding extensions) gets its body cut short of the limit instead of
// making rampart hold many times the limit. The modules see `truncated`.
size_t held_cap(size_t limit) {
  constexpr size_t kFramingFactor = 8;
  if (limit > (std::numeric_limits<size_t>::max() - kBodyBufSize) / kFramingFactor) {
    return std::numeric_limits<size_t>::max();
  }
  return limit * kFramingFactor + kBodyBufSize;
}

}  // namespace

asio::awaitable<std::optional<ClientSession::Flow>> ClientSession::inspect_request_body(
    pipeline::RequestContext& ctx, RequestRecord& record, size_t limit, bool must_close) {
  a_->held_body.clear();
  a_->held_begin = 0;
  a_->inspected.clear();
  std::string_view body;   // what the modules see
  bool truncated = false;  // the body is longer than `body`
  bool complete = true;    // the whole body is in hand (held or in rbuf)
  size_t body_wire_bytes = 0;

  // The answer to a client that stopped sending its body, as send_request_body gives it.
  auto client_failed = [&]() -> asio::awaitable<std::optional<Flow>> {
    closing_ = true;
    if (!deadline_.expired()) {
      record.error = "client closed during request body";
      co_return Flow::kClose;
    }
    deadline_.reset_expired();
    worker_.metrics.timeouts.fetch_add(1, std::memory_order_relaxed);
    record.error = "request body not received in time";
    co_return co_await respond_local(408, record.error, true, record);
  };
  // The next wire bytes of the body (the head buffer's rest, then a_->body_buf, read
  // from the client when both are empty), at most `max`; empty: the client failed.
  auto next_bytes = [&](size_t max) -> asio::awaitable<std::string_view> {
    if (!a_->rbuf.empty()) co_return a_->rbuf.readable().substr(0, max);
    if (a_->body_begin == a_->body_end && !co_await read_body_bytes(max)) {
      co_return std::string_view();
    }
    co_return std::string_view(a_->body_buf.get() + a_->body_begin,
                               std::min(max, a_->body_end - a_->body_begin));
  };
  // Moves bytes next_bytes gave into the held body.
  auto hold = [&](std::string_view bytes) {
    a_->held_body.append(bytes);
    if (!a_->rbuf.empty()) {
      a_->rbuf.consume(bytes.size());
    } else {
      a_->body_begin += bytes.size();
    }
  };

  if (!body_done_ && a_->head.flags.expect_continue) {
    // The client waits for this before sending its body, and the body is wanted before
    // the origin is asked; forward() must not send a second one.
    a_->head.flags.expect_continue = false;
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    if (!co_await write_client(kContinue)) co_return Flow::kClose;
  }

  if (body_done_) {
    // No body: the hooks still run, with an empty one.
  } else if (a_->head.body == http::BodyKind::kContentLength) {
    uint64_t length = a_->head.content_length;
    size_t want = static_cast<size_t>(std::min<uint64_t>(length, limit));
    truncated = length > limit;
    if (a_->rbuf.size() >= want) {
      // Common case: the part wanted came with the head; nothing is copied.
      body = a_->rbuf.readable().substr(0, want);
      complete = a_->rbuf.size() >= length;
      body_wire_bytes = static_cast<size_t>(std::min<uint64_t>(length, a_->rbuf.size()));
    } else {
      while (a_->held_body.size() < want) {
        uint64_t left = length - a_->held_body.size();
        std::string_view data =
            co_await next_bytes(static_cast<size_t>(std::min<uint64_t>(left, kBodyBufSize)));
        if (data.empty()) co_return co_await client_failed();
        hold(data);
      }
      body = std::string_view(a_->held_body).substr(0, want);
      complete = a_->held_body.size() == length;
      body_wire_bytes = a_->held_body.size();
    }
  } else {
    http::ChunkedDecoder decoder(snapshot_->config->limits.max_body_bytes);
    size_t cap = held_cap(limit);
    for (;;) {
      if (decoder.body_bytes() > limit || a_->held_body.size() >= cap) {
        truncated = true;
        complete = false;
        break;
      }
      std::string_view data = co_await next_bytes(kBodyBufSize);
      if (data.empty()) co_return co_await client_failed();
      http::ChunkedDecoder::Step step = decoder.feed(data);
      hold(data.substr(0, step.consumed));
      if (a_->inspected.size() < limit) {
        a_->inspected.append(step.data.substr(0, limit - a_->inspected.size()));
      }
      if (step.status == http::ParseStatus::kError) {
        // The same answer send_request_body gives, before the origin saw anything.
        record.bytes_in += a_->held_body.size();
        record.error = step.error.reason.empty() ? "invalid chunked body" : step.error.reason;
        closing_ = true;
        co_return co_await respond_local(step.error.status, record.error, true, record);
      }
      if (step.status == http::ParseStatus::kComplete) {
        truncated = decoder.body_bytes() > limit;
        break;
      }
    }
    body = a_->inspected;
    body_wire_bytes = a_->held_body.size();
  }

  if (snapshot_->pipeline->run_request_body(ctx, body, truncated) ==
      pipeline::RequestResult::kForward) {
    co_return std::nullopt;
  }
  record.bytes_in += body_wire_bytes;
  if (complete && !body_done_) {
    // The whole body was read: drop it and keep the connection for the next request.
    if (a_->held_body.empty()) a_->rbuf.consume(body_wire_bytes);
    body_done_ = true;
  }
  a_->held_body.clear();
  a_->held_begin = 0;
  co_return co_await respond_redirect_or_local(ctx, record, must_close || !body_done_);
}

}  // namespace rampart::server
