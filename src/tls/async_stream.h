#pragma once
// TLS on a non-blocking socket, for both sides of the proxy: OpenSSL reads and writes
// the descriptor itself (no memory BIOs, no extra copy), and the coroutine waits on
// the socket for readability or writability when OpenSSL asks for one. The socket's
// cancel ends any wait, so the owners' deadlines apply unchanged. Small gathered
// buffers are coalesced into one SSL_write: a head and a small body cost one record.

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <span>
#include <string>
#include <tuple>

#include "core/net_types.h"

namespace rampart::tls {

using IoResult = std::tuple<boost::system::error_code, size_t>;

class AsyncStream {
 public:
  // `socket` and `ssl` belong to the owner and outlive the stream.
  AsyncStream(core::Socket& socket, SSL* ssl);
  AsyncStream(const AsyncStream&) = delete;
  AsyncStream& operator=(const AsyncStream&) = delete;

  boost::asio::awaitable<IoResult> read_some(boost::asio::mutable_buffer buffer);
  // Writes every byte of `buffers`, or fails.
  boost::asio::awaitable<IoResult> write(std::span<const boost::asio::const_buffer> buffers);
  // After SSL_get_error said WANT_READ or WANT_WRITE: waits for the socket.
  boost::asio::awaitable<boost::system::error_code> wait_for(int ssl_error);
  // Maps a failed SSL call to an error code; marks the stream broken when fatal.
  boost::system::error_code failure(int ssl_error);

  // OpenSSL must not touch the descriptor number once the socket closed: it may
  // already belong to another connection.
  bool usable() const { return !broken_ && socket_.is_open(); }
  bool broken() const { return broken_; }
  void set_broken() { broken_ = true; }
  // The peer broke TLS itself (not just the connection).
  bool protocol_error() const { return protocol_error_; }
  core::Socket& socket() { return socket_; }

 private:
  boost::asio::awaitable<boost::system::error_code> write_all(const char* data, size_t size);

  core::Socket& socket_;
  SSL* ssl_;
  std::string coalesced_;
  bool broken_ = false;
  bool protocol_error_ = false;
};

}  // namespace rampart::tls
