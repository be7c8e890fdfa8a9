#include "server/client_io.h"

#include "core/layered_io.h"

namespace rampart::server {

asio::awaitable<IoResult> ClientIo::read_some(asio::mutable_buffer buffer) {
  return core::layered_io::read_some(socket_, layer_.get(), buffer);
}

asio::awaitable<IoResult> ClientIo::write(std::span<const asio::const_buffer> buffers) {
  return core::layered_io::write(socket_, layer_.get(), buffers);
}

asio::awaitable<IoResult> ClientIo::write(std::string_view bytes) {
  return core::layered_io::write(socket_, layer_.get(), bytes);
}

asio::awaitable<boost::system::error_code> ClientIo::wait_readable() {
  return core::layered_io::wait_readable(socket_, layer_.get());
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
