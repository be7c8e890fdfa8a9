#pragma once
// TLS to an origin over the connection's socket, OpenSSL working on the descriptor
// itself like the server side does: SSL_connect/SSL_read/SSL_write on the non-blocking
// socket, and an asio wait for readability or writability when OpenSSL asks for one.
// The socket's cancel ends any wait, so the session's deadlines apply unchanged.

#include <string>

#include "proxy/upstream_io.h"
#include "tls/async_stream.h"
#include "tls/openssl_ptr.h"

namespace rampart::proxy {

class UpstreamTls final : public UpstreamLayer {
 public:
  // `socket` must outlive the layer (both belong to one UpstreamIo). `ssl` comes from
  // tls::OriginContext::new_connection.
  UpstreamTls(core::Socket& socket, tls::SslPtr ssl);
  ~UpstreamTls() override;
  UpstreamTls(const UpstreamTls&) = delete;
  UpstreamTls& operator=(const UpstreamTls&) = delete;

  // The client side of the handshake. Without an error, whether a session was resumed
  // is in resumed().
  asio::awaitable<std::optional<tls::OriginHandshakeError>> handshake();
  bool resumed() const;
  // The origin chose "h2" in ALPN.
  bool alpn_h2() const;
  // One read that never waits: asio::error::would_block when nothing is there (for
  // frames an HTTP/2 origin sends to an idle connection).
  IoResult read_now(asio::mutable_buffer buffer);

  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) override {
    return stream_.read_some(buffer);
  }
  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) override {
    return stream_.write(buffers);
  }
  asio::awaitable<boost::system::error_code> wait_readable() override;
  void shutdown_send() override;
  bool idle_usable() override;

 private:
  bool usable() const { return stream_.usable(); }

  tls::SslPtr ssl_;
  tls::AsyncStream stream_;
};

}  // namespace rampart::proxy
