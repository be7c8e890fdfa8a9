#pragma once
// The buffers and scratch space a client connection needs while it is serving requests.
// A parked (idle) connection returns its state to the worker's pool, so idle
// connections hold none and busy ones reuse warm allocations instead of fragmenting
// the heap with per-connection buffers.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/read_buffer.h"
#include "http/message.h"
#include "pipeline/request_context.h"
#include "proxy/forward_headers.h"

namespace rampart::server {

struct SessionState {
  core::ReadBuffer rbuf{2048, 32768};  // most request heads fit in 2 KiB
  http::RequestHead head;
  http::ResponseHead response;
  std::vector<http::Header> upstream_headers;
  std::vector<http::Header> response_headers;
  proxy::ForwardScratch scratch;
  std::string out;
  // Request body bytes read from the socket after the head's buffer ran dry.
  std::unique_ptr<char[]> body_buf;
  size_t body_begin = 0;
  size_t body_end = 0;
  // Request body bytes read ahead for the modules' body hooks, as they came off the wire
  // (client_session_inspect.cc); send_request_body sends them before anything else.
  std::string held_body;
  size_t held_begin = 0;
  std::string inspected;  // a chunked body's data, decoded for the hooks

  // The request in progress. Kept here rather than in the request's coroutine frame:
  // it is over 1 kB, and frames that large are a fresh slow-path malloc for every
  // request (Asio recycles frames only up to 1020 bytes).
  std::optional<pipeline::RequestContext> ctx;

  // Back to the state of a new connection, keeping allocations that are cheap to keep.
  void reset_for_reuse() {
    ctx.reset();
    rbuf.consume(rbuf.size());
    head.clear();
    response.clear();
    upstream_headers.clear();
    response_headers.clear();
    scratch.clear();
    scratch.peer_text.clear();  // belongs to the previous connection's peer
    out.clear();
    body_buf.reset();  // 64 KiB: only bodies need it
    body_begin = body_end = 0;
    // Kept when small; a large inspection buffer is not worth keeping for another client.
    release_if_large(held_body);
    held_begin = 0;
    release_if_large(inspected);
  }

  static void release_if_large(std::string& s) {
    if (s.capacity() > 16 * 1024) {
      std::string().swap(s);
    } else {
      s.clear();
    }
  }
};

// Per worker, unlocked.
class SessionStatePool {
 public:
  // Enough for the stream sessions of a few busy HTTP/2 connections (up to 128 each):
  // a state made afresh costs several allocations of a kilobyte or more. The worker's
  // housekeeping trims spares that outnumber its live sessions.
  explicit SessionStatePool(size_t max_spare = 1024) : max_spare_(max_spare) {}
  std::unique_ptr<SessionState> acquire() {
    if (spare_.empty()) return std::make_unique<SessionState>();
    auto state = std::move(spare_.back());
    spare_.pop_back();
    return state;
  }
  void release(std::unique_ptr<SessionState> state) {
    if (!state || spare_.size() >= max_spare_) return;
    state->reset_for_reuse();
    spare_.push_back(std::move(state));
  }
  size_t spare() const { return spare_.size(); }
  // Frees spare states beyond `keep` (after a burst, when the worker has gone quiet).
  size_t trim(size_t keep) {
    size_t freed = 0;
    while (spare_.size() > keep) {
      spare_.pop_back();
      ++freed;
    }
    return freed;
  }

 private:
  size_t max_spare_;
  std::vector<std::unique_ptr<SessionState>> spare_;
};

}  // namespace rampart::server
