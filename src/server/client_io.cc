#include "server/client_io.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace rampart::server {

namespace {
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
}

// The plain cases return the socket's own operation, so they cost no extra coroutine.
asio::awaitable<IoResult> ClientIo::read_some(asio::mutable_buffer buffer) {
  if (layer_ == nullptr) return socket_.async_read_some(buffer, kNoThrow);
  return layer_->read_some(buffer);
}

asio::awaitable<IoResult> ClientIo::write(std::span<const asio::const_buffer> buffers) {
  if (layer_ == nullptr) return asio::async_write(socket_, buffers, kNoThrow);
  return layer_->write(buffers);
}

asio::awaitable<IoResult> ClientIo::write(std::string_view bytes) {
  if (layer_ == nullptr) return asio::async_write(socket_, asio::buffer(bytes), kNoThrow);
  // The span must outlive the layer's coroutine, which reads it after this returns.
  return [](ClientLayer& layer, asio::const_buffer buffer) -> asio::awaitable<IoResult> {
    co_return co_await layer.write(std::span<const asio::const_buffer>(&buffer, 1));
  }(*layer_, asio::buffer(bytes));
}

asio::awaitable<boost::system::error_code> ClientIo::wait_readable() {
  if (layer_ == nullptr) {
    return [](core::Socket& socket) -> asio::awaitable<boost::system::error_code> {
      auto [ec] = co_await socket.async_wait(core::Socket::wait_read, kNoThrow);
      co_return ec;
    }(socket_);
  }
  return layer_->wait_readable();
}

void ClientIo::cancel() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
  if (layer_ != nullptr) layer_->cancel();
}

asio::awaitable<void> ClientIo::close() {
  if (layer_ != nullptr) co_await layer_->shutdown();
  boost::system::error_code ignored;
  if (socket_.is_open()) {
    socket_.shutdown(core::Socket::shutdown_send, ignored);
    socket_.close(ignored);
  }
}

}  // namespace rampart::server
