#pragma once
// How a client session's bytes reach its client: the TCP socket itself, TLS over that
// socket, or one HTTP/2 stream of a multiplexed connection. The session reads and writes
// HTTP/1.1 bytes through a ClientIo and never knows which; only the plain socket is a
// direct call, the others go through a ClientLayer.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <tuple>

#include "core/net_types.h"

namespace rampart::server {

namespace asio = boost::asio;
using core::IoResult;

// A layer between the session and the socket (TLS, an HTTP/2 stream).
class ClientLayer {
 public:
  virtual ~ClientLayer() = default;
  virtual asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) = 0;
  // Writes every byte of `buffers`, or fails.
  virtual asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) = 0;
  // Completes when a read would find bytes (or an error).
  virtual asio::awaitable<boost::system::error_code> wait_readable() = 0;
  // Ends the byte stream cleanly (TLS close_notify, the end of an HTTP/2 stream).
  virtual asio::awaitable<void> shutdown() = 0;
  // Ends the operations pending now (a timeout); later ones work as before.
  virtual void cancel() = 0;
  // Whether the connection may wait idle as a bare descriptor (nothing held above it).
  virtual bool parkable() const { return false; }
  // The connection is about to wait idle: buffers kept for speed while it was busy can go.
  virtual void release_idle_memory() {}
  // What the session wants done when the client vanishes in the middle of a request
  // (an HTTP/2 stream reset): typically, stop waiting for the origin.
  void on_gone(std::function<void()> fn) { on_gone_ = std::move(fn); }

 protected:
  std::function<void()> on_gone_;
};

class ClientIo {
 public:
  explicit ClientIo(core::Socket socket) : socket_(std::move(socket)) {}
  ClientIo(core::Socket socket, std::unique_ptr<ClientLayer> layer)
      : socket_(std::move(socket)), layer_(std::move(layer)) {}

  core::Socket& socket() { return socket_; }
  ClientLayer* layer() const { return layer_.get(); }
  void set_layer(std::unique_ptr<ClientLayer> layer) { layer_ = std::move(layer); }
  bool parkable() const { return layer_ == nullptr || layer_->parkable(); }

  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer);
  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers);
  asio::awaitable<IoResult> write(std::string_view bytes);
  asio::awaitable<boost::system::error_code> wait_readable();
  void cancel();
  // Ends the stream cleanly where the layer has a way to, then closes the socket.
  asio::awaitable<void> close();

 private:
  core::Socket socket_;
  std::unique_ptr<ClientLayer> layer_;
};

}  // namespace rampart::server
