#include "proxy/upstream_io.h"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cerrno>

#include "core/layered_io.h"
#include "proxy/origin_pool.h"
#include "proxy/upstream_h2.h"
#include "proxy/upstream_tls.h"

namespace rampart::proxy {

using core::layered_io::kNoThrow;

UpstreamIo::UpstreamIo(core::Socket socket) : socket_(std::move(socket)) {}
UpstreamIo::~UpstreamIo() = default;

bool idle_socket_is_usable(core::Socket& socket) {
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  return false;  // closed (0), reset (<0), or the origin sent bytes nobody asked for (>0)
}

asio::awaitable<ConnectResult> UpstreamIo::connect(const OriginEndpoint& endpoint,
                                                   const tls::OriginContext* tls, bool http2) {
  ConnectResult result;
  auto [ec] = co_await socket_.async_connect(endpoint.address, kNoThrow);
  if (ec) {
    result.error = ec;
    co_return result;
  }
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  if (tls == nullptr) {
    if (http2) {
      auto layer = std::make_unique<UpstreamH2>(socket_, nullptr);
      if (!layer->start()) {
        result.error = asio::error::no_memory;
        co_return result;
      }
      layer_ = std::move(layer);
      transport_ = kH2cTransport;
    }
    co_return result;
  }
  tls::OriginHandshakeCounters& counters = tls::origin_handshake_counters();
  tls::SslPtr ssl = tls->new_connection(endpoint.name, endpoint.host);
  if (!ssl) {
    counters.failed.fetch_add(1, std::memory_order_relaxed);
    result.tls = tls::OriginHandshakeError{tls::OriginFailure::kOther, "out of memory"};
    co_return result;
  }
  auto layer = std::make_unique<UpstreamTls>(socket_, std::move(ssl));
  result.tls = co_await layer->handshake();
  if (result.tls) {
    switch (result.tls->kind) {
      case tls::OriginFailure::kUntrusted:
        counters.untrusted.fetch_add(1, std::memory_order_relaxed);
        break;
      case tls::OriginFailure::kPinMismatch:
        counters.pin_mismatch.fetch_add(1, std::memory_order_relaxed);
        break;
      case tls::OriginFailure::kOther:
        counters.failed.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    co_return result;
  }
  if (http2 && !layer->alpn_h2()) {
    // Predictable over clever: a pool that says http2 gets HTTP/2 or a clear failure,
    // never a silent fall back to HTTP/1.1.
    counters.failed.fetch_add(1, std::memory_order_relaxed);
    result.tls = tls::OriginHandshakeError{
        tls::OriginFailure::kOther, "origin did not choose h2 in ALPN (the pool has http2: true)"};
    co_return result;
  }
  (layer->resumed() ? counters.resumed : counters.full).fetch_add(1, std::memory_order_relaxed);
  transport_ = tls->id();
  if (!http2) {
    layer_ = std::move(layer);
    co_return result;
  }
  auto h2 = std::make_unique<UpstreamH2>(socket_, std::move(layer));
  if (!h2->start()) {
    result.error = asio::error::no_memory;
    co_return result;
  }
  layer_ = std::move(h2);
  co_return result;
}

asio::awaitable<IoResult> UpstreamIo::read_some(asio::mutable_buffer buffer) {
  return core::layered_io::read_some(socket_, layer_.get(), buffer);
}

asio::awaitable<IoResult> UpstreamIo::write(std::span<const asio::const_buffer> buffers) {
  return core::layered_io::write(socket_, layer_.get(), buffers);
}

asio::awaitable<IoResult> UpstreamIo::write(std::string_view bytes) {
  return core::layered_io::write(socket_, layer_.get(), bytes);
}

asio::awaitable<boost::system::error_code> UpstreamIo::wait_readable() {
  return core::layered_io::wait_readable(socket_, layer_.get());
}

void UpstreamIo::cancel() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

void UpstreamIo::shutdown_send() {
  if (layer_ != nullptr) layer_->shutdown_send();
  boost::system::error_code ignored;
  socket_.shutdown(core::Socket::shutdown_send, ignored);
}

void UpstreamIo::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

bool UpstreamIo::idle_usable() {
  if (layer_ == nullptr) return idle_socket_is_usable(socket_);
  return layer_->idle_usable();
}

}  // namespace rampart::proxy
