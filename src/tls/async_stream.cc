#include "tls/async_stream.h"

#include <openssl/err.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rampart::tls {

namespace asio = boost::asio;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// One TLS record's worth of plaintext: buffers smaller than this are gathered into one
// SSL_write instead of one record (and one syscall) each.
constexpr size_t kCoalesceLimit = 16 * 1024;

}  // namespace

AsyncStream::AsyncStream(core::Socket& socket, SSL* ssl) : socket_(socket), ssl_(ssl) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  SSL_set_fd(ssl_, socket_.native_handle());
}

boost::system::error_code AsyncStream::failure(int ssl_error) {
  ERR_clear_error();  // the thread's error queue must not leak into the next connection
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  broken_ = true;
  if (ssl_error == SSL_ERROR_SSL) protocol_error_ = true;
  if (ssl_error == SSL_ERROR_SYSCALL) return asio::error::connection_reset;
  return asio::error::connection_aborted;
}

asio::awaitable<boost::system::error_code> AsyncStream::wait_for(int ssl_error) {
  auto kind =
      ssl_error == SSL_ERROR_WANT_WRITE ? core::Socket::wait_write : core::Socket::wait_read;
  auto [ec] = co_await socket_.async_wait(kind, kNoThrow);
  co_return ec;
}

asio::awaitable<IoResult> AsyncStream::read_some(asio::mutable_buffer buffer) {
  for (;;) {
    if (!usable()) co_return IoResult{asio::error::not_connected, 0};
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

asio::awaitable<boost::system::error_code> AsyncStream::write_all(const char* data, size_t size) {
  while (size > 0) {
    if (!usable()) co_return asio::error::not_connected;
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

asio::awaitable<IoResult> AsyncStream::write(std::span<const asio::const_buffer> buffers) {
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

}  // namespace rampart::tls
