#pragma once
// A client connection's TLS as a ClientLayer: the server side of the handshake, then
// reads and writes through a tls::AsyncStream on the socket.

#include <openssl/ssl.h>

#include <string>

#include "server/client_io.h"
#include "tls/async_stream.h"

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

  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) override {
    return stream_.read_some(buffer);
  }
  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) override {
    return stream_.write(buffers);
  }
  asio::awaitable<boost::system::error_code> wait_readable() override;
  asio::awaitable<void> shutdown() override;
  void cancel() override;
  // Frees OpenSSL's record buffers unless they hold bytes not yet taken.
  void release_idle_memory() override;

 private:
  SSL* ssl_;
  tls::AsyncStream stream_;
};

}  // namespace rampart::server
