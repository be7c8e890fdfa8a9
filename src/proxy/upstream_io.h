#pragma once
// How an upstream connection's bytes reach its origin: the TCP socket itself, or TLS
// over that socket. The session, background revalidation and the health checker read
// and write HTTP/1.1 through an UpstreamIo and never know which; the plain socket is a
// direct call (no virtual call, no extra coroutine), anything else goes through an
// UpstreamLayer. A multiplexed transport (HTTP/2 to origins) would be another layer,
// one per stream, over a shared connection; today UpstreamH2 carries one request at a
// time over its own connection.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>

#include "core/net_types.h"
#include "tls/origin_contexts.h"

namespace rampart::proxy {

namespace asio = boost::asio;
using core::IoResult;

struct OriginEndpoint;

// A layer between the connection's bytes and its socket.
class UpstreamLayer {
 public:
  virtual ~UpstreamLayer() = default;
  virtual asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) = 0;
  // Writes every byte of `buffers`, or fails.
  virtual asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) = 0;
  // Completes when a read would find application bytes (or an error).
  virtual asio::awaitable<boost::system::error_code> wait_readable() = 0;
  // Ends the sending direction cleanly (a tunnel whose client half-closed).
  virtual void shutdown_send() = 0;
  // For a connection that sat idle in the pool: still open, nothing unasked-for to read.
  virtual bool idle_usable() = 0;
};

// How opening a connection failed; ok() when it did not.
struct ConnectResult {
  boost::system::error_code error;               // TCP connect (or a wait) failed
  std::optional<tls::OriginHandshakeError> tls;  // the TLS handshake failed
  bool ok() const { return !error && !tls; }
};

class UpstreamIo {
 public:
  explicit UpstreamIo(core::Socket socket);
  ~UpstreamIo();
  // A layer holds a reference to the socket: the pair stays where it was made.
  UpstreamIo(const UpstreamIo&) = delete;
  UpstreamIo& operator=(const UpstreamIo&) = delete;

  core::Socket& socket() { return socket_; }
  UpstreamLayer* layer() const { return layer_.get(); }
  // Which kind of transport this is, for the idle pool: 0 for plain TCP, kH2cTransport
  // (origin_pool.h) for cleartext HTTP/2, else the id of the TLS context the connection was made
  // with.
  uint64_t transport() const { return transport_; }

  // Connects the socket to `endpoint` and, with `tls`, runs the client handshake
  // (counted in tls::origin_handshake_counters()). cancel() ends it, as any wait.
  // `http2`: HTTP/1.1 written and read here is carried over HTTP/2 (UpstreamH2); with
  // `tls` the origin must have chosen h2 in ALPN, else the connect fails.
  asio::awaitable<ConnectResult> connect(const OriginEndpoint& endpoint,
                                         const tls::OriginContext* tls, bool http2 = false);

  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer);
  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers);
  asio::awaitable<IoResult> write(std::string_view bytes);
  asio::awaitable<boost::system::error_code> wait_readable();
  // Ends the operations pending now (a timeout); later ones work as before.
  void cancel();
  void shutdown_send();
  // Closes the socket; any later operation fails.
  void close();
  bool idle_usable();

 private:
  core::Socket socket_;
  std::unique_ptr<UpstreamLayer> layer_;
  uint64_t transport_ = 0;
};

// True when the socket is still open with nothing unexpected to read (non-blocking peek).
bool idle_socket_is_usable(core::Socket& socket);

}  // namespace rampart::proxy
