#pragma once
// One client connection speaking HTTP/1.1 — over TCP or TLS — or one HTTP/2 stream
// (which reaches it as HTTP/1.1 bytes through its ClientIo): reads requests (pipelined
// ones in order), runs the pipeline, forwards to the origin and streams bodies both ways
// through bounded buffers. It lives on one worker, as one coroutine. A connection whose
// client chooses HTTP/2 (ALPN h2, or the prior-knowledge preface) hands itself to an
// H2Connection, which runs one stream session per request.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/deadline.h"
#include "core/ip.h"
#include "core/rate_floor.h"
#include "core/read_buffer.h"
#include "core/slab.h"
#include "http/h1_parser.h"
#include "http/message.h"
#include "proxy/forward_headers.h"
#include "proxy/upstream_pool.h"
#include "server/cache_step.h"
#include "server/client_io.h"
#include "server/connection_info.h"
#include "server/origin_choice.h"
#include "server/response_compression.h"
#include "server/session_state.h"
#include "server/snapshot.h"
#include "server/worker_context.h"

namespace rampart::server {
class H2Connection;
}

namespace rampart::server {

namespace asio = boost::asio;
using asio::ip::tcp;

// What happened to one request, for the access log and metrics.
struct RequestRecord {
  int status = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string_view upstream;  // owned by the snapshot
  std::string_view pool;      // owned by the snapshot
  uint32_t tries = 0;         // origin tries (1 + retries)
  double upstream_ms = -1;
  std::string_view error;
  // "hit", "miss", "stale", "revalidated", "collapsed" or empty (the cache was not used)
  std::string_view cache;
  uint32_t retry_after_s = 5;  // Retry-After of a 503 rampart answers itself
};

class ClientSession {
 public:
  enum class Role : uint8_t { kConnection, kStream };
  // `resumed_requests` > 0: a connection coming back from the parking lot, which
  // already holds its connection-limit slot and its place in the connection count.
  // A kStream session is one HTTP/2 stream: its connection does the accounting.
  // `peer_port`: the client's port when the caller knows it (-1: asked of the socket).
  ClientSession(WorkerContext& worker, ClientIo io, core::IpAddress peer,
                uint32_t resumed_requests = 0, Role role = Role::kConnection,
                std::shared_ptr<const ConnectionInfo> info = nullptr, int peer_port = -1);
  ~ClientSession();

  // Sessions are created and destroyed on their worker's thread; packing them in slabs
  // keeps thousands of idle ones from fragmenting the heap.
  static void* operator new(size_t size);
  static void operator delete(void* p);

  asio::awaitable<void> run();
  // Used by a drain: closes the connection if it is between requests.
  void close_if_idle();
  // Used by the worker's housekeeping: closes a parked connection idle past its limit.
  void close_if_parked_past(std::chrono::steady_clock::time_point now);

  // Hands the session to a readability handler until its next request (see park()).
  static void park(std::unique_ptr<ClientSession> session);

  ClientSession* next_ = nullptr;  // SessionList links
  ClientSession* prev_ = nullptr;
  bool parked_ = false;      // run() returned to wait without a coroutine
  bool handed_off_ = false;  // the descriptor went to the parking lot

 private:
  enum class Flow : uint8_t { kKeepAlive, kClose };

  asio::awaitable<bool> wait_hot(std::chrono::milliseconds client_idle);
  // The server side of a TLS listener's handshake; false: the connection is done.
  // Sets info_->tls, and h2_alpn_ when the client chose h2.
  asio::awaitable<bool> start_tls();
  // The client chose HTTP/2: the connection becomes an H2Connection until it ends.
  asio::awaitable<void> serve_h2(std::string_view received);
  bool http2_allowed() const;
  std::string_view protocol() const;
  void release_idle_memory();
  asio::awaitable<bool> read_head(http::ParseResult& result);
  asio::awaitable<Flow> handle_request(size_t head_size);
  // `extra`: header fields a module added to its local response (Retry-After of a 429).
  asio::awaitable<Flow> respond_local(int status, std::string_view message, bool must_close,
                                      RequestRecord& record,
                                      std::span<const http::Header> extra = {});
  asio::awaitable<Flow> respond_redirect_or_local(pipeline::RequestContext& ctx,
                                                  RequestRecord& record, bool must_close);
  asio::awaitable<Flow> forward(pipeline::RequestContext& ctx, RequestRecord& record);
  // The modules' request-body hooks (client_session_inspect.cc): reads up to `limit`
  // body bytes before anything goes upstream and runs Pipeline::run_request_body. The
  // flow when the request was answered (blocked, or its body failed); nullopt: forward
  // it, with the bytes read ahead (a_->held_body) sent first.
  asio::awaitable<std::optional<Flow>> inspect_request_body(pipeline::RequestContext& ctx,
                                                            RequestRecord& record, size_t limit,
                                                            bool must_close);
  // The cache's part of a request (client_session_cache.cc): a stored answer, a place
  // in a collapsed fetch, or forward() with what the cache learnt.
  asio::awaitable<Flow> serve_with_cache(pipeline::RequestContext& ctx, RequestRecord& record,
                                         bool must_close);
  asio::awaitable<Flow> respond_from_cache(pipeline::RequestContext& ctx, RequestRecord& record,
                                           const CacheHit& hit, bool must_close);
  // The lookup's stale copy, instead of an origin failure (`origin_status`: 0 for none).
  asio::awaitable<Flow> respond_stale(pipeline::RequestContext& ctx, RequestRecord& record,
                                      int origin_status, bool must_close);
  asio::awaitable<Flow> stream_from_fill(pipeline::RequestContext& ctx, RequestRecord& record,
                                         cache::Fill& fill, const CacheLookup& lookup,
                                         bool must_close);
  asio::awaitable<std::optional<size_t>> wait_for_endpoint(proxy::OriginPool& pool,
                                                           EndpointPicker& picker);
  // Sends the request to a second endpoint when the first is slow to answer; `primary`
  // then holds whichever started answering first (client_session_hedge.cc).
  asio::awaitable<void> hedge_if_slow(Upstream& primary, proxy::OriginPool& pool,
                                      EndpointPicker& picker, std::chrono::milliseconds hedge_after,
                                      std::chrono::milliseconds per_try, RequestRecord& record);
  // The connection guard's part of a session (client_session_guard.cc). Arms the
  // deadline for one wait on the client: `timeout`, or sooner when `floor` runs out
  // first (then an expiry counts as `reason`). Floors apply to HTTP/1 connections; an
  // HTTP/2 connection has its own flow-control stall limit.
  void arm_client_wait(std::chrono::steady_clock::duration timeout, const core::RateFloor& floor,
                       uint64_t pending, GuardClose reason);
  // After a failed wait: when a floor's deadline ended it, counts the close and makes
  // the connection end with a reset.
  void note_floor_expiry();
  // True when overload protection sheds this request (record filled for the 503).
  bool shed_for_overload(const pipeline::RequestContext& ctx, RequestRecord& record);

  asio::awaitable<bool> write_client(std::string_view bytes);
  asio::awaitable<bool> write_client(std::span<const asio::const_buffer> buffers);
  // Ends a write to the client: false (and the connection closing) on an error, else
  // the bytes count towards the send-rate floor.
  bool finish_client_write(boost::system::error_code ec, size_t written,
                           std::chrono::steady_clock::time_point waited_from);

  // Request body → origin. Returns false on failure (record.status set when the client
  // is to blame: 400/408/413).
  asio::awaitable<bool> send_request_body(proxy::UpstreamConnection& up, RequestRecord& record);
  // Origin response body → client.
  asio::awaitable<bool> relay_response_body(proxy::UpstreamConnection& up,
                                            const http::ResponseHead& response,
                                            bool chunk_to_client, RequestRecord& record);
  asio::awaitable<void> tunnel(proxy::UpstreamConnection& up, RequestRecord& record);
  // Response inspection (client_session_inspect_response.cc). Reads the origin's body
  // ahead, up to `limit` body bytes and one more, without touching `up.buffer` (the
  // response head's views point into it): `held` gets the raw bytes after the head (to
  // relay first), `body` the decoded body, `truncated` whether there was more.
  asio::awaitable<void> hold_response_body(proxy::UpstreamConnection& up,
                                           const http::ResponseHead& response, size_t head_size,
                                           size_t limit, std::string& held, std::string& body,
                                           bool& truncated);
  // Response inspection of a stored body (a cache hit); true when a module refused it
  // (ctx.local_response holds the answer). ctx.response_* must be set.
  bool inspect_stored_response(pipeline::RequestContext& ctx, std::string_view body,
                               bool with_body);
  asio::awaitable<bool> read_body_bytes(size_t max);

  void count_cache_result(std::string_view result);
  void finish_request(const pipeline::RequestContext* ctx, const RequestRecord& record,
                      std::chrono::steady_clock::time_point started);
  bool request_body_pending() const;
  bool stale_may_answer() const {
    return cache_lookup_ != nullptr && cache_lookup_->stale && cache_lookup_->stale_if_error;
  }
  const Snapshot& snapshot() const { return *snapshot_; }
  // X-Rampart-Config: <version>, when the config's `safety.config_header` asks for it.
  void add_config_header();

  WorkerContext& worker_;
  ClientIo io_;
  core::IpAddress peer_;
  std::shared_ptr<const ConnectionInfo> info_;  // null: plain TCP, HTTP/1.x
  Role role_;
  H2Connection* h2_ = nullptr;  // while the connection speaks HTTP/2
  bool h2_preface_ = false;     // read_head found the HTTP/2 preface
  bool h2_alpn_ = false;        // the TLS handshake agreed on h2
  core::Deadline deadline_;
  core::RateFloor receive_floor_;                  // the current request head, then its body
  core::RateFloor send_floor_;                     // the current response
  std::optional<GuardClose> armed_floor_;          // the floor that set the armed deadline, if any
  proxy::UpstreamConnection* upstream_ = nullptr;  // cancelled with the client on timeout
  std::shared_ptr<const Snapshot> snapshot_;
  uint32_t canary_key_ = 0;  // which snapshot serves it during a staged activation
  bool idle_ = false;
  std::chrono::milliseconds parked_wait_{0};
  std::chrono::steady_clock::time_point parked_until_{};
  bool closing_ = false;
  uint32_t requests_ = 0;

  // Buffers and per-request state while requests keep coming (reused between them);
  // handed back to the worker's pool when the connection parks.
  std::unique_ptr<SessionState> a_;
  char request_id_[16];
  bool body_done_ = true;    // the current request's body was fully read
  bool must_close_ = false;  // this request ends the connection (close, limit, drain)
  // The current request's cache lookup, and the response being captured for storing.
  CacheLookup* cache_lookup_ = nullptr;
  PendingStore* pending_store_ = nullptr;
  // The compression of the response being relayed (null: sent as the origin sent it).
  Compression* compression_ = nullptr;
};

asio::awaitable<void> run_client_session(std::unique_ptr<ClientSession> session);

template <typename Fn>
void SessionList::for_each(Fn&& fn) {
  for (ClientSession* s = first_; s != nullptr;) {
    ClientSession* next = s->next_;
    fn(s);
    s = next;
  }
}

}  // namespace rampart::server
