#include "proxy/upstream_tls.h"

#include <openssl/err.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rampart::proxy {

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// Buffers smaller than one record's worth are gathered into one SSL_write, so a
// request head and a small body cost one record and one syscall.
constexpr size_t kCoalesceLimit = 16 * 1024;

}  // namespace

UpstreamTls::UpstreamTls(core::Socket& socket, tls::SslPtr ssl)
    : socket_(socket), ssl_(std::move(ssl)) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  SSL_set_fd(ssl_.get(), socket_.native_handle());
}

// OpenSSL forgets the session of a connection freed without a close_notify sent, which
// would leave the session cache with nothing to resume: a connection that ends well
// sends one (best effort, no wait), one that ends with a reset or a timeout is marked
// shut down quietly. Only a connection whose TLS itself failed loses its session.
UpstreamTls::~UpstreamTls() {
  if (SSL_is_init_finished(ssl_.get()) != 1 || protocol_error_) return;
  if (usable()) {
    ERR_clear_error();
    if (SSL_shutdown(ssl_.get()) >= 0) return;
    ERR_clear_error();
  }
  SSL_set_shutdown(ssl_.get(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
}

bool UpstreamTls::resumed() const {
  return SSL_session_reused(ssl_.get()) == 1;
}

bool UpstreamTls::alpn_h2() const {
  const unsigned char* proto = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(ssl_.get(), &proto, &len);
  return len == 2 && proto[0] == 'h' && proto[1] == '2';
}

IoResult UpstreamTls::read_now(asio::mutable_buffer buffer) {
  if (!usable()) return IoResult{asio::error::not_connected, 0};
  size_t n = 0;
  ERR_clear_error();
  int r = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n);
  if (r == 1) return IoResult{boost::system::error_code{}, n};
  int e = SSL_get_error(ssl_.get(), r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return IoResult{asio::error::would_block, 0};
  }
  return IoResult{failure(e), 0};
}

boost::system::error_code UpstreamTls::failure(int ssl_error) {
  ERR_clear_error();  // the thread's error queue must not leak into the next connection
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  broken_ = true;
  if (ssl_error == SSL_ERROR_SSL) protocol_error_ = true;
  if (ssl_error == SSL_ERROR_SYSCALL) return asio::error::connection_reset;
  return asio::error::connection_aborted;
}

asio::awaitable<boost::system::error_code> UpstreamTls::wait_for(int ssl_error) {
  auto kind =
      ssl_error == SSL_ERROR_WANT_WRITE ? core::Socket::wait_write : core::Socket::wait_read;
  auto [ec] = co_await socket_.async_wait(kind, kNoThrow);
  co_return ec;
}

asio::awaitable<std::optional<tls::OriginHandshakeError>> UpstreamTls::handshake() {
  for (;;) {
    if (!usable()) {
      broken_ = true;
      co_return tls::OriginHandshakeError{tls::OriginFailure::kOther, "connection closed"};
    }
    ERR_clear_error();
    int r = SSL_connect(ssl_.get());
    if (r == 1) co_return std::nullopt;
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto ec = co_await wait_for(e)) {
        broken_ = true;
        co_return tls::OriginHandshakeError{
            tls::OriginFailure::kOther,
            ec == asio::error::operation_aborted ? "TLS handshake timed out" : ec.message()};
      }
      continue;
    }
    tls::OriginHandshakeError error = tls::OriginContext::failure(ssl_.get(), e);
    ERR_clear_error();
    broken_ = true;
    co_return error;
  }
}

asio::awaitable<IoResult> UpstreamTls::read_some(asio::mutable_buffer buffer) {
  for (;;) {
    if (!usable()) co_return IoResult{asio::error::not_connected, 0};
    size_t n = 0;
    int r = SSL_read_ex(ssl_.get(), buffer.data(), buffer.size(), &n);
    if (r == 1) co_return IoResult{boost::system::error_code{}, n};
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto ec = co_await wait_for(e)) co_return IoResult{ec, 0};
      continue;
    }
    co_return IoResult{failure(e), 0};
  }
}

asio::awaitable<boost::system::error_code> UpstreamTls::write_all(const char* data, size_t size) {
  while (size > 0) {
    if (!usable()) co_return asio::error::not_connected;
    size_t written = 0;
    int r = SSL_write_ex(ssl_.get(), data, size, &written);
    if (r == 1) {
      data += written;
      size -= written;
      continue;
    }
    int e = SSL_get_error(ssl_.get(), r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto ec = co_await wait_for(e)) co_return ec;
      continue;  // OpenSSL wants the same bytes again
    }
    co_return failure(e);
  }
  co_return boost::system::error_code{};
}

asio::awaitable<IoResult> UpstreamTls::write(std::span<const asio::const_buffer> buffers) {
  size_t total = 0;
  for (const auto& b : buffers) total += b.size();
  if (buffers.size() > 1 && total <= kCoalesceLimit) {
    coalesced_.clear();
    for (const auto& b : buffers) coalesced_.append(static_cast<const char*>(b.data()), b.size());
    auto ec = co_await write_all(coalesced_.data(), coalesced_.size());
    co_return IoResult{ec, ec ? 0 : total};
  }
  for (const auto& b : buffers) {
    if (auto ec = co_await write_all(static_cast<const char*>(b.data()), b.size())) {
      co_return IoResult{ec, 0};
    }
  }
  co_return IoResult{boost::system::error_code{}, total};
}

// Readable means application bytes: a TLS 1.3 session ticket arriving after the
// handshake makes the socket readable long before the origin answers, and a hedge
// waiting on that must not take it for the answer.
asio::awaitable<boost::system::error_code> UpstreamTls::wait_readable() {
  for (;;) {
    if (!usable()) co_return asio::error::not_connected;
    if (SSL_has_pending(ssl_.get()) == 1) co_return boost::system::error_code{};
    auto [ec] = co_await socket_.async_wait(core::Socket::wait_read, kNoThrow);
    if (ec) co_return ec;
    if (!usable()) co_return asio::error::not_connected;
    char byte;
    size_t n = 0;
    int r = SSL_peek_ex(ssl_.get(), &byte, 1, &n);
    if (r == 1) co_return boost::system::error_code{};
    int e = SSL_get_error(ssl_.get(), r);
    if (e != SSL_ERROR_WANT_READ) {
      ERR_clear_error();
      co_return boost::system::error_code{};  // closed or broken: the read says which
    }
  }
}

void UpstreamTls::shutdown_send() {
  if (!usable() || SSL_is_init_finished(ssl_.get()) != 1) return;
  ERR_clear_error();
  if (SSL_shutdown(ssl_.get()) < 0) ERR_clear_error();
}

bool UpstreamTls::idle_usable() {
  if (!usable() || SSL_has_pending(ssl_.get()) == 1) return false;
  char byte;
  size_t n = 0;
  ERR_clear_error();
  int r = SSL_peek_ex(ssl_.get(), &byte, 1, &n);
  if (r == 1) return false;  // the origin sent bytes nobody asked for
  int e = SSL_get_error(ssl_.get(), r);
  ERR_clear_error();
  if (e == SSL_ERROR_WANT_READ) return true;  // nothing, or only tickets and key updates
  broken_ = true;
  return false;
}

}  // namespace rampart::proxy
