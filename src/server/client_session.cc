#include "server/client_session.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <unistd.h>

#include "core/log.h"
#include "http/h1_writer.h"
#include "server/access_log.h"
#include "server/error_page.h"
#include "server/h2_connection.h"
#include "server/tls_layer.h"

namespace rampart::server {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// How long a connection keeps its buffers after a response, waiting for the next
// request with a plain read. Busy keep-alive clients send again well within it; idle
// ones then release everything and wait without memory.
constexpr std::chrono::milliseconds kHotIdle{50};

}  // namespace

// --- SessionList -------------------------------------------------------------------

void SessionList::add(ClientSession* s) {
  s->next_ = first_;
  s->prev_ = nullptr;
  if (first_ != nullptr) first_->prev_ = s;
  first_ = s;
  ++size_;
}

void SessionList::remove(ClientSession* s) {
  if (s->prev_ != nullptr) s->prev_->next_ = s->next_;
  if (s->next_ != nullptr) s->next_->prev_ = s->prev_;
  if (first_ == s) first_ = s->next_;
  s->next_ = s->prev_ = nullptr;
  --size_;
}

// --- lifecycle -----------------------------------------------------------------------

ClientSession::ClientSession(WorkerContext& worker, ClientIo io, core::IpAddress peer,
                             uint32_t resumed_requests, Role role,
                             std::shared_ptr<const ConnectionInfo> info, int peer_port)
    : worker_(worker),
      io_(std::move(io)),
      peer_(peer),
      info_(std::move(info)),
      role_(role),
      deadline_(worker.io.get_executor(),
                [this] {
                  io_.cancel();
                  if (upstream_ != nullptr) upstream_->io.cancel();
                }),
      a_(worker.session_states.acquire()) {
  if (ClientLayer* layer = io_.layer()) {
    layer->on_gone([this] {
      closing_ = true;
      io_.cancel();
      if (upstream_ != nullptr) upstream_->io.cancel();
    });
  }
  worker_.sessions.add(this);
  if (role_ == Role::kStream) {
    canary_key_ = info_ != nullptr ? info_->canary_key : 0;
  } else {
    // The port tells apart a client's connections (at most one getpeername for it).
    if (peer_port < 0) {
      boost::system::error_code ec;
      auto remote = io_.socket().remote_endpoint(ec);
      peer_port = ec ? 0 : remote.port();
    }
    canary_key_ = connection_key(peer_, static_cast<uint16_t>(peer_port));
  }
  requests_ = resumed_requests;
  if (resumed_requests == 0 && role_ == Role::kConnection) {
    worker_.metrics.active_connections.fetch_add(1, std::memory_order_relaxed);
  }
}

void* ClientSession::operator new(size_t) {
  return core::SlabAllocator<sizeof(ClientSession)>::allocate();
}
void ClientSession::operator delete(void* p) {
  core::SlabAllocator<sizeof(ClientSession)>::deallocate(p);
}

ClientSession::~ClientSession() {
  worker_.session_states.release(std::move(a_));
  worker_.sessions.remove(this);
  // The parking lot keeps counting a handed-off connection; a stream's is its connection's.
  if (handed_off_ || role_ == Role::kStream) return;
  worker_.metrics.active_connections.fetch_sub(1, std::memory_order_relaxed);
  worker_.shared.limiter.release(peer_);
}

void ClientSession::close_if_parked_past(std::chrono::steady_clock::time_point now) {
  if (parked_ && idle_ && now >= parked_until_) io_.cancel();
}

void ClientSession::close_if_idle() {
  if (h2_ != nullptr) {
    h2_->drain();  // GOAWAY: the streams in flight finish, no new ones start
    return;
  }
  if (!idle_) return;
  io_.cancel();
}

asio::awaitable<void> run_client_session(std::unique_ptr<ClientSession> session) {
  co_await session->run();
  if (session->parked_) ClientSession::park(std::move(session));
}

// A connection idle past the hot period leaves its coroutine: it waits for readability
// with a plain handler and owns no frames, buffers or snapshot until a byte arrives.
void ClientSession::park(std::unique_ptr<ClientSession> session) {
  ClientSession* s = session.get();
  s->release_idle_memory();
  if (s->worker_.shared.draining.load(std::memory_order_relaxed)) return;  // closes it
  ParkingLot* lot = s->worker_.parking.get();
  if (lot != nullptr && s->io_.parkable()) {
    boost::system::error_code ec;
    int fd = s->io_.socket().release(ec);
    if (ec) return;  // closes it
    auto close_at = std::chrono::steady_clock::now() + s->parked_wait_;
    if (lot->park(fd, s->peer_, s->requests_, close_at)) {
      s->handed_off_ = true;
    } else {
      ::close(fd);
    }
    return;  // the session object goes; the connection lives on in the lot
  }
  s->idle_ = true;
  // The per-connection timer is stopped while parked (its pending wait costs memory);
  // the worker's housekeeping closes parked connections idle past client_idle.
  s->deadline_.stop();
  s->parked_until_ = std::chrono::steady_clock::now() + s->parked_wait_;
  // The handler owns the session: if the loop is destroyed with it pending, so is the
  // session.
  // A TLS connection waits here too: its session holds the TLS state, and a read that
  // found no record left nothing buffered above the socket.
  s->io_.socket().async_wait(
      core::Socket::wait_read,
      [owned = std::move(session)](const boost::system::error_code& ec) mutable {
        owned->idle_ = false;
        if (ec) return;  // closed, reset, timed out or drained
        owned->parked_ = false;
        auto& io = owned->worker_.io;
        asio::co_spawn(io, run_client_session(std::move(owned)), asio::detached);
      });
}

asio::awaitable<void> ClientSession::run() {
  if (!a_) a_ = worker_.session_states.acquire();
  if (role_ == Role::kConnection && requests_ == 0 && info_ != nullptr && info_->tls == nullptr &&
      io_.layer() == nullptr) {
    snapshot_ = worker_.snapshots.get(canary_key_);
    if (snapshot_->tls != nullptr && snapshot_->tls->is_tls(info_->listener)) {
      if (!co_await start_tls()) {
        closing_ = true;
      } else if (h2_alpn_) {
        co_await serve_h2({});
      }
    }
  }
  while (!closing_) {
    snapshot_ = worker_.snapshots.get(canary_key_);
    if (a_->rbuf.empty()) {
      const config::Timeouts& t = snapshot_->config->timeouts;
      if (requests_ > 0) {
        if (!co_await wait_hot(t.client_idle)) break;
        if (a_->rbuf.empty()) {
          parked_ = true;
          parked_wait_ = t.client_idle - kHotIdle;
          co_return;
        }
      } else {
        idle_ = true;
        deadline_.expire_after(t.header_read);
        boost::system::error_code ec = co_await io_.wait_readable();
        idle_ = false;
        if (ec) break;
      }
    }
    http::ParseResult result;
    if (!co_await read_head(result)) break;
    if (h2_preface_) {
      co_await serve_h2(a_->rbuf.readable());
      break;
    }
    if (result.status == http::ParseStatus::kError) {
      worker_.metrics.parse_errors.fetch_add(1, std::memory_order_relaxed);
      auto started = Clock::now();
      worker_.request_ids.next(request_id_);
      RequestRecord record;
      record.error = result.error.reason.empty() ? "malformed request" : result.error.reason;
      a_->head.clear();
      co_await respond_local(result.error.status, record.error, true, record);
      finish_request(nullptr, record, started);
      break;
    }
    if (co_await handle_request(result.consumed) == Flow::kClose) break;
  }
  deadline_.disarm();
  co_await io_.close();
}

asio::awaitable<bool> ClientSession::start_tls() {
  const config::Config& cfg = *snapshot_->config;
  SSL* ssl = snapshot_->tls->new_connection(info_->listener);
  if (ssl == nullptr) co_return false;
  auto layer = std::make_unique<TlsLayer>(io_.socket(), ssl);
  TlsLayer* tls_layer = layer.get();
  io_.set_layer(std::move(layer));
  const config::Listener& listener = cfg.listeners[info_->listener];
  deadline_.expire_after(listener.tls ? listener.tls->handshake_timeout : cfg.timeouts.header_read);
  std::string error;
  bool ok = co_await tls_layer->handshake(error);
  deadline_.disarm();
  if (!ok) {
    worker_.metrics.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
    core::log(core::LogLevel::kDebug, "TLS handshake with {} failed: {}", peer_.to_string(), error);
    co_return false;
  }
  tls::ConnectionFacts facts = tls::facts_after_handshake(ssl);
  auto& counter = facts.resumed ? worker_.metrics.tls_resumed : worker_.metrics.tls_handshakes;
  counter.fetch_add(1, std::memory_order_relaxed);
  h2_alpn_ = facts.alpn == "h2";
  auto info = std::make_shared<ConnectionInfo>(*info_);
  info->tls = std::make_shared<const TlsFacts>(std::move(facts));
  info_ = std::move(info);
  co_return true;
}

bool ClientSession::http2_allowed() const {
  const auto& listeners = snapshot_->config->listeners;
  size_t index = info_ ? info_->listener : 0;
  return index >= listeners.size() || listeners[index].http2;
}

std::string_view ClientSession::protocol() const {
  if (info_ && info_->http2) return "HTTP/2";
  return a_->head.version_minor == 0 ? "HTTP/1.0" : "HTTP/1.1";
}

asio::awaitable<void> ClientSession::serve_h2(std::string_view received) {
  const config::Config& cfg = *snapshot_->config;
  http::H2Limits limits;
  limits.max_header_list_size = cfg.limits.max_header_bytes;
  limits.max_header_count = cfg.limits.max_header_count;
  limits.max_streams_per_connection = cfg.limits.max_requests_per_connection;
  auto stream_info = std::make_shared<ConnectionInfo>(info_ ? *info_ : ConnectionInfo{});
  stream_info->http2 = true;
  stream_info->canary_key = canary_key_;
  std::string first(received);
  // The connection holds no request buffers while it multiplexes: its streams have theirs.
  release_idle_memory();
  deadline_.disarm();
  H2Connection connection(worker_, io_, peer_, std::move(stream_info), limits);
  h2_ = &connection;
  co_await connection.run(first);
  h2_ = nullptr;
  closing_ = true;
}

void ClientSession::release_idle_memory() {
  if (ClientLayer* layer = io_.layer()) layer->release_idle_memory();
  worker_.session_states.release(std::move(a_));
  snapshot_.reset();
}

// Right after a response the next request usually follows soon: read straight into the
// buffer we still hold (a speculative read, no extra epoll registration) for a short
// while before falling back to the memory-saving idle wait. Returns false when the
// connection is done (closed, reset, drained or idle past client_idle).
asio::awaitable<bool> ClientSession::wait_hot(std::chrono::milliseconds client_idle) {
  if (client_idle <= kHotIdle) {
    deadline_.expire_after(client_idle);
  } else {
    deadline_.expire_after(kHotIdle);
  }
  auto [ptr, room] = a_->rbuf.prepare(512);
  idle_ = true;
  auto [ec, n] = co_await io_.read_some(asio::buffer(ptr, room));
  idle_ = false;
  if (!ec) {
    a_->rbuf.commit(n);
    co_return true;
  }
  bool hot_period_over = ec == asio::error::operation_aborted && deadline_.expired();
  co_return hot_period_over&& client_idle > kHotIdle &&
      !worker_.shared.draining.load(std::memory_order_relaxed);
}

asio::awaitable<bool> ClientSession::read_head(http::ParseResult& result) {
  const http::ParserLimits& limits = snapshot_->parser_limits;
  // Room for the largest allowed head plus a little, so the parser itself sees an
  // oversized head and reports 431/414 instead of the buffer silently filling up.
  a_->rbuf.set_max(limits.max_header_bytes + 1024);
  // header_read bounds the whole head from its first byte: reads do not extend it.
  const config::Config& cfg = *snapshot_->config;
  auto head_deadline = Clock::now() + cfg.timeouts.header_read;
  receive_floor_.reset(cfg.limits.min_request_rate, cfg.limits.min_rate_window);
  send_floor_.reset(cfg.limits.min_send_rate, cfg.limits.min_rate_window);
  size_t scanned = 0;
  bool may_be_h2 = requests_ == 0 && role_ == Role::kConnection && http2_allowed();
  for (;;) {
    std::string_view data = a_->rbuf.readable();
    if (may_be_h2 && !data.empty()) {
      std::string_view start = data.substr(0, http::kH2Preface.size());
      if (http::kH2Preface.starts_with(start)) {
        if (start.size() == http::kH2Preface.size()) {
          h2_preface_ = true;
          co_return true;
        }
      } else {
        may_be_h2 = false;
      }
    }
    if (!data.empty() && !may_be_h2) {
      // Re-parse only when a line ended in the new bytes or a limit may be crossed, so
      // a client trickling bytes cannot make rampart re-scan its head for every byte.
      bool worth_parsing =
          data.find('\n', scanned > 0 ? scanned - 1 : 0) != std::string_view::npos ||
          data.size() > limits.max_request_line;
      scanned = data.size();
      if (worth_parsing) {
        result = http::parse_request_head(data, limits, a_->head);
        if (result.status != http::ParseStatus::kIncomplete) co_return true;
      }
      if (a_->rbuf.full()) {
        result.status = http::ParseStatus::kError;
        result.error = {431, "request head too large"};
        co_return true;
      }
    }
    auto [ptr, room] = a_->rbuf.prepare(512);
    if (room == 0) {
      result.status = http::ParseStatus::kError;
      result.error = {431, "request head too large"};
      co_return true;
    }
    arm_client_wait(head_deadline - Clock::now(), receive_floor_, 0, GuardClose::kSlowHead);
    auto waited_from = Clock::now();
    auto [ec, n] = co_await io_.read_some(asio::buffer(ptr, room));
    if (ec) {
      if (deadline_.expired()) {
        note_floor_expiry();
        worker_.metrics.timeouts.fetch_add(1, std::memory_order_relaxed);
        if (!a_->rbuf.empty()) {
          result.status = http::ParseStatus::kError;
          result.error = {408, "request head not received in time"};
          deadline_.reset_expired();
          co_return true;
        }
      }
      co_return false;
    }
    receive_floor_.record(n, Clock::now() - waited_from);
    a_->rbuf.commit(n);
  }
}

// --- one request ---------------------------------------------------------------------

bool ClientSession::request_body_pending() const {
  return !body_done_;
}

asio::awaitable<ClientSession::Flow> ClientSession::handle_request(size_t head_size) {
  auto started = Clock::now();
  ++requests_;
  // The head's views stay valid: consume() only moves an index, and nothing reads into
  // a_->rbuf again until this request is over (body bytes go to a_->body_buf).
  a_->rbuf.consume(head_size);
  body_done_ = a_->head.body == http::BodyKind::kNone;
  worker_.request_ids.next(request_id_);
  std::string_view request_id(request_id_, sizeof(request_id_));

  const config::Config& cfg = *snapshot_->config;
  RequestRecord record;
  record.bytes_in = head_size;
  pipeline::RequestContext& ctx = a_->ctx.emplace(cfg, a_->head, a_->upstream_headers);
  ctx.request_id = request_id;
  ctx.client_ip = proxy::effective_client_ip(a_->head, peer_, cfg.trusted_proxies);
  ctx.tls = info_ != nullptr && info_->tls != nullptr;
  if (ctx.tls) ctx.facts.tls_info = &info_->tls->view;
  ctx.facts.head = &a_->head;
  ctx.facts.client_ip = ctx.client_ip;
  ctx.facts.tls = ctx.tls;
  receive_floor_.reset(cfg.limits.min_request_rate, cfg.limits.min_rate_window);
  if (info_ != nullptr && info_->http2) {
    ctx.facts.protocol = "HTTP/2";
    worker_.metrics.requests_h2.fetch_add(1, std::memory_order_relaxed);
  } else {
    worker_.metrics.requests_h1.fetch_add(1, std::memory_order_relaxed);
  }

  // An HTTP/2 stream carries one request: its session ends after the response.
  bool must_close = !a_->head.flags.keep_alive || role_ == Role::kStream ||
                    worker_.shared.draining.load(std::memory_order_relaxed) ||
                    (cfg.limits.max_requests_per_connection != 0 &&
                     requests_ >= cfg.limits.max_requests_per_connection);
  must_close_ = must_close;

  Flow flow;
  std::optional<size_t> site = snapshot_->router->route(a_->head.host);
  if (site) {  // before shedding, so a shed request counts for its site
    ctx.site = &cfg.sites[*site];
    ctx.site_index = *site;
  }
  if (shed_for_overload(ctx, record)) {
    flow = co_await respond_local(503, "The server is overloaded. Please retry shortly.", true,
                                  record);
  } else if (!site) {
    record.error = "no site for host";
    flow = co_await respond_local(404, "No site is configured for this host name.",
                                  must_close || !body_done_, record);
  } else {
    if (a_->head.method == "CONNECT" && !cfg.allow_connect) {
      record.error = "CONNECT not allowed";
      flow = co_await respond_local(501, "CONNECT is not enabled on this server.", true, record);
    } else {
      proxy::ForwardingFacts facts;
      facts.peer = &peer_;
      facts.peer_trusted = cfg.trusted_proxies.contains(peer_);
      facts.request_id = request_id;
      if (ctx.tls) facts.proto = "https";
      if (info_ != nullptr && info_->http2) {
        facts.via = "2 rampart";
      } else if (a_->head.version_minor == 0) {
        facts.via = "1.0 rampart";
      }
      facts.upgrade = a_->head.flags.upgrade && ctx.site->websocket &&
                      http::iequals(a_->head.upgrade_protocol, "websocket");
      a_->scratch.clear();
      proxy::build_upstream_headers(a_->head, facts, a_->scratch, a_->upstream_headers);
      const pipeline::Pipeline& pipeline = *snapshot_->pipeline;
      if (pipeline.run_request(ctx) == pipeline::RequestResult::kRespond) {
        flow = co_await respond_redirect_or_local(ctx, record, must_close || !body_done_);
      } else {
        std::optional<Flow> answered;
        if (size_t limit = pipeline.request_body_limit(ctx); limit > 0) {
          answered = co_await inspect_request_body(ctx, record, limit, must_close);
        }
        if (answered) {
          flow = *answered;
        } else {
          flow = co_await serve_with_cache(ctx, record, must_close);
          if (must_close) flow = Flow::kClose;
        }
      }
    }
  }
  finish_request(&ctx, record, started);
  a_->ctx.reset();
  if (!body_done_) flow = Flow::kClose;  // unread body bytes would be taken for a request
  if (flow == Flow::kKeepAlive && a_->body_begin < a_->body_end) {
    // Bytes read past a chunked body belong to the next pipelined request.
    a_->rbuf.append({a_->body_buf.get() + a_->body_begin, a_->body_end - a_->body_begin});
  }
  a_->body_begin = a_->body_end = 0;
  if (!a_->held_body.empty()) {
    // Read ahead for an inspection: sent by now, or never (the connection then closes);
    // either way not the next request's body.
    a_->held_body.clear();
    a_->held_begin = 0;
  }
  co_return flow;
}

}  // namespace rampart::server
