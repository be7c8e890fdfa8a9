#include "tls/async_stream.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
// Requests, handshake messages and HTTP/2 frames of a client fit. A read that fills it
// says more is waiting, and OpenSSL then reads the rest straight into its own buffer:
// bulk data is mostly not copied.
constexpr size_t kStagingSize = 4096;

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// The descriptor BIO's behaviour, plus the staged bytes first. Made once per process.
BIO_METHOD* stream_bio_method(int (*read)(BIO*, char*, size_t, size_t*),
                              int (*write)(BIO*, const char*, size_t, size_t*),
                              long (*ctrl)(BIO*, int, long, void*)) {
  static BIO_METHOD* method = [&] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rampart stream");
    if (m == nullptr) return m;
    BIO_meth_set_read_ex(m, read);
    BIO_meth_set_write_ex(m, write);
    BIO_meth_set_ctrl(m, ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

}  // namespace

AsyncStream::AsyncStream(core::Socket& socket, SSL* ssl) : socket_(socket), ssl_(ssl) {
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  BIO_METHOD* method = stream_bio_method(bio_read, bio_write, bio_ctrl);
  BIO* bio = method != nullptr ? BIO_new(method) : nullptr;
  if (bio == nullptr) {
    SSL_set_fd(ssl_, socket_.native_handle());  // no staging: every wait is a readiness wait
    return;
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);
  own_bio_ = true;
}

int AsyncStream::bio_read(BIO* bio, char* out, size_t size, size_t* read) {
  auto* self = static_cast<AsyncStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  *read = 0;
  if (self->staged_begin_ != self->staged_end_) {
    size_t n = std::min(size, self->staged_end_ - self->staged_begin_);
    std::memcpy(out, self->staging_.get() + self->staged_begin_, n);
    self->staged_begin_ += n;
    if (self->staged_begin_ == self->staged_end_) self->staged_begin_ = self->staged_end_ = 0;
    *read = n;
    return 1;
  }
  if (self->staged_eof_) return 0;  // the end of the stream, as read() would say
  if (self->drained_) {
    // The last read left the socket empty: a read now would almost surely find nothing,
    // and the wait that follows (wait_for) reads anyway.
    BIO_set_retry_read(bio);
    return 0;
  }
  ssize_t n = ::read(self->socket_.native_handle(), out, size);
  if (n > 0) {
    *read = static_cast<size_t>(n);
    self->drained_ = static_cast<size_t>(n) < size;
    return 1;
  }
  if (n == 0 && size > 0) self->staged_eof_ = true;  // BIO_eof says so from now on
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    self->drained_ = true;
    BIO_set_retry_read(bio);
  }
  return 0;
}

long AsyncStream::bio_ctrl(BIO* bio, int cmd, long, void*) {
  // Writes go straight to the socket: nothing to flush. OpenSSL asks BIO_eof after a
  // read of 0 bytes to tell the peer's end of the stream (without a close_notify: an
  // error, or a clean end with SSL_OP_IGNORE_UNEXPECTED_EOF) from other failures, as
  // the descriptor BIO answers it. Nothing else applies (no kTLS, no datagrams), and
  // SSL_get_fd is not used on these connections.
  if (cmd == BIO_CTRL_FLUSH) return 1;
  if (cmd == BIO_CTRL_EOF) return static_cast<AsyncStream*>(BIO_get_data(bio))->staged_eof_ ? 1 : 0;
  return 0;
}

int AsyncStream::bio_write(BIO* bio, const char* in, size_t size, size_t* written) {
  auto* self = static_cast<AsyncStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  *written = 0;
  ssize_t n = ::write(self->socket_.native_handle(), in, size);
  if (n >= 0) {
    *written = static_cast<size_t>(n);
    return 1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) BIO_set_retry_write(bio);
  return 0;
}

void AsyncStream::release_idle_memory() {
  if (has_staged()) return;
  staging_.reset();
  idle_ = true;
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
  if (ssl_error == SSL_ERROR_WANT_WRITE) {
    auto [ec] = co_await socket_.async_wait(core::Socket::wait_write, kNoThrow);
    co_return ec;
  }
  if (has_staged()) co_return boost::system::error_code{};  // OpenSSL has bytes to take
  if (idle_ || !own_bio_) {
    // An idle connection may wait long: a readiness wait holds no buffer meanwhile.
    auto [ec] = co_await socket_.async_wait(core::Socket::wait_read, kNoThrow);
    idle_ = false;
    drained_ = false;  // the BIO must read the socket now
    co_return ec;
  }
  if (!staging_) staging_ = std::make_unique_for_overwrite<char[]>(kStagingSize);
  auto [ec, n] =
      co_await socket_.async_read_some(asio::buffer(staging_.get(), kStagingSize), kNoThrow);
  if (ec == asio::error::eof) {
    staged_eof_ = true;  // OpenSSL learns of it from the BIO, as from read()
    co_return boost::system::error_code{};
  }
  if (ec) co_return ec;
  staged_begin_ = 0;
  staged_end_ = n;
  drained_ = n < kStagingSize;
  co_return boost::system::error_code{};
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
