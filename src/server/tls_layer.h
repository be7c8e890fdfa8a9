#pragma once
// TLS over a client's socket with OpenSSL working on the descriptor itself (no memory
// BIOs, no extra copy): SSL_read/SSL_write on the non-blocking socket, and an asio wait
// for readability or writability when OpenSSL asks for one. Small gathered buffers are
// coalesced into one record, so a response head and a small body cost one record.

#include <openssl/ssl.h>

#include <string>

#include "server/client_io.h"

namespace rampart::server {

class TlsLayer final : public ClientLayer {
 public:
  // Takes ownership of `ssl`, which must come from a server context. `socket` must
  // outlive the layer (both belong to one ClientIo, set up where it stays).
  TlsLayer(core::Socket& socket, SSL* ssl);
  ~TlsLayer() override;
  TlsLayer(const TlsLayer&) = delete;
  TlsLayer& operator=(const TlsLayer&) = delete;

  // The server side of the handshake. false with `error` set when it failed.
  asio::awaitable<bool> handshake(std::string& error);
  SSL* ssl() const { return ssl_; }

  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) override;
  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) override;
  asio::awaitable<boost::system::error_code> wait_readable() override;
  asio::awaitable<void> shutdown() override;
  void cancel() override;

 private:
  // After SSL_get_error said WANT_READ or WANT_WRITE: waits for the socket.
  asio::awaitable<boost::system::error_code> wait_for(int ssl_error);
  // Maps a failed SSL call to an error code; marks the connection broken when fatal.
  boost::system::error_code failure(int ssl_error);
  asio::awaitable<boost::system::error_code> write_all(const char* data, size_t size);

  core::Socket& socket_;
  SSL* ssl_;
  std::string coalesced_;
  bool broken_ = false;  // a fatal TLS error: no close_notify may follow
};

}  // namespace rampart::server
