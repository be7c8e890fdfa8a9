#pragma once
// TLS on a non-blocking socket, for both sides of the proxy: OpenSSL reads and writes
// the descriptor itself through a small BIO of ours (no memory BIOs, no extra copy of
// the bulk), and the coroutine waits on the socket when OpenSSL asks for bytes or room.
// The socket's cancel ends any wait, so the owners' deadlines apply unchanged. Small
// gathered buffers are coalesced into one SSL_write: a head and a small body cost one
// record.
//
// Waiting for bytes is a read, not a readiness wait: asio re-arms the descriptor in
// epoll (one epoll_ctl) for every async_wait, but queues a read that follows a drained
// socket without any system call. The bytes that read brings are "staged" here and
// handed to OpenSSL by the BIO. The BIO reads the descriptor itself only while the last
// read filled its buffer (more is likely waiting: bulk data goes straight into
// OpenSSL's buffer); after a short read it answers "retry" without a system call, so a
// request costs the reads a plain-TCP one costs (one read, or a failed read and one after
// epoll says readable), not an extra failed read before each wait.

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
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
  // After SSL_get_error said WANT_READ or WANT_WRITE: waits for the socket (for
  // WANT_READ, reads what arrives into the staging buffer).
  boost::asio::awaitable<boost::system::error_code> wait_for(int ssl_error);
  // Bytes read from the socket that OpenSSL has not taken yet: a reader that checks
  // SSL_has_pending before waiting on the socket must check this too.
  bool has_staged() const { return staged_begin_ != staged_end_ || staged_eof_; }
  // The connection goes idle: frees the staging buffer (unless it holds bytes), and the
  // next wait for bytes is a readiness wait, which holds no buffer.
  void release_idle_memory();
  // The next read by OpenSSL asks the socket even if the last read drained it (to see
  // whether the peer sent or closed something since).
  void probe_socket() { drained_ = false; }
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
  static int bio_read(BIO* bio, char* out, size_t size, size_t* read);
  static int bio_write(BIO* bio, const char* in, size_t size, size_t* written);
  static long bio_ctrl(BIO* bio, int cmd, long num, void* ptr);

  core::Socket& socket_;
  SSL* ssl_;
  std::unique_ptr<char[]> staging_;  // kStagingSize bytes while the connection is busy
  size_t staged_begin_ = 0;
  size_t staged_end_ = 0;
  bool staged_eof_ = false;  // the staging read found the end of the stream
  bool drained_ = true;      // the last read of the socket found fewer bytes than it could take
  bool idle_ = false;        // release_idle_memory was called, no wait since
  bool own_bio_ = false;     // false: OpenSSL's descriptor BIO (out of memory making ours)
  std::string coalesced_;
  bool broken_ = false;
  bool protocol_error_ = false;
};

}  // namespace rampart::tls
