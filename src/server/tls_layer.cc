#include "server/tls_layer.h"

#include <openssl/err.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rampart::server {

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// One TLS record's worth of plaintext: buffers smaller than this are gathered into one
// SSL_write instead of one record (and one syscall) each.
constexpr size_t kCoalesceLimit = 16 * 1024;

}  // namespace

TlsLayer::TlsLayer(core::Socket& socket, SSL* ssl) : socket_(socket), ssl_(ssl) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  SSL_set_fd(ssl_, socket_.native_handle());
}

TlsLayer::~TlsLayer() {
  SSL_free(ssl_);
}

boost::system::error_code TlsLayer::failure(int ssl_error) {
  ERR_clear_error();  // the thread's error queue must not leak into the next connection
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  broken_ = true;
  if (ssl_error == SSL_ERROR_SYSCALL) return asio::error::connection_reset;
  return asio::error::connection_aborted;
}

// A timeout cancels the socket, which ends this wait; later operations work as before
// (a session that timed out waiting for its origin still answers 504).
asio::awaitable<boost::system::error_code> TlsLayer::wait_for(int ssl_error) {
  auto kind =
      ssl_error == SSL_ERROR_WANT_WRITE ? core::Socket::wait_write : core::Socket::wait_read;
  auto [ec] = co_await socket_.async_wait(kind, kNoThrow);
  co_return ec;
}

asio::awaitable<bool> TlsLayer::handshake(std::string& error) {
  for (;;) {
    ERR_clear_error();
    int r = SSL_accept(ssl_);
    if (r == 1) co_return true;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto ec = co_await wait_for(e)) {
        broken_ = true;
        error = ec == asio::error::operation_aborted ? "handshake timed out" : ec.message();
        co_return false;
      }
      continue;
    }
    unsigned long code = ERR_peek_error();
    if (code != 0) {
      char text[256];
      ERR_error_string_n(code, text, sizeof(text));
      error = text;
    } else {
      error =
          e == SSL_ERROR_SYSCALL ? "connection closed during the handshake" : "handshake failed";
    }
    failure(e);
    co_return false;
  }
}

asio::awaitable<IoResult> TlsLayer::read_some(asio::mutable_buffer buffer) {
  for (;;) {
    if (broken_) co_return IoResult{asio::error::not_connected, 0};
    size_t n = 0;
    int r = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &n);
    if (r == 1) co_return IoResult{boost::system::error_code{}, n};
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto ec = co_await wait_for(e)) co_return IoResult{ec, 0};
      continue;
    }
    co_return IoResult{failure(e), 0};
  }
}

asio::awaitable<boost::system::error_code> TlsLayer::write_all(const char* data, size_t size) {
  while (size > 0) {
    if (broken_) co_return asio::error::not_connected;
    size_t written = 0;
    int r = SSL_write_ex(ssl_, data, size, &written);
    if (r == 1) {
      data += written;
      size -= written;
      continue;
    }
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (auto ec = co_await wait_for(e)) co_return ec;
      continue;  // OpenSSL wants the same bytes again
    }
    co_return failure(e);
  }
  co_return boost::system::error_code{};
}

asio::awaitable<IoResult> TlsLayer::write(std::span<const asio::const_buffer> buffers) {
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

asio::awaitable<boost::system::error_code> TlsLayer::wait_readable() {
  if (SSL_has_pending(ssl_) == 1) co_return boost::system::error_code{};
  auto [ec] = co_await socket_.async_wait(core::Socket::wait_read, kNoThrow);
  co_return ec;
}

asio::awaitable<void> TlsLayer::shutdown() {
  // One close_notify, without waiting for the client's: the socket closes next anyway.
  if (!broken_ && SSL_is_init_finished(ssl_) == 1) {
    ERR_clear_error();
    if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
  }
  co_return;
}

void TlsLayer::cancel() {}  // the socket's cancel ends any wait in progress

}  // namespace rampart::server
