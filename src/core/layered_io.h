#pragma once
// Byte I/O on a socket that may carry a layer (TLS, an HTTP/2 stream) above it: the
// client side (server/client_io) and the origin side (proxy/upstream_io) share these.
// Without a layer each operation is the socket's own, so it costs no extra coroutine.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/system/error_code.hpp>

#include <span>
#include <string_view>
#include <tuple>

#include "core/net_types.h"

namespace rampart::core {

namespace layered_io {

inline constexpr auto kNoThrow = boost::asio::as_tuple(boost::asio::use_awaitable);

template <class Layer>
boost::asio::awaitable<IoResult> read_some(Socket& socket, Layer* layer,
                                           boost::asio::mutable_buffer buffer) {
  if (layer == nullptr) return socket.async_read_some(buffer, kNoThrow);
  return layer->read_some(buffer);
}

template <class Layer>
boost::asio::awaitable<IoResult> write(Socket& socket, Layer* layer,
                                       std::span<const boost::asio::const_buffer> buffers) {
  if (layer == nullptr) return boost::asio::async_write(socket, buffers, kNoThrow);
  return layer->write(buffers);
}

template <class Layer>
boost::asio::awaitable<IoResult> write(Socket& socket, Layer* layer, std::string_view bytes) {
  if (layer == nullptr)
    return boost::asio::async_write(socket, boost::asio::buffer(bytes), kNoThrow);
  // The span must outlive the layer's coroutine, which reads it after this returns.
  return [](Layer& l, boost::asio::const_buffer buffer) -> boost::asio::awaitable<IoResult> {
    co_return co_await l.write(std::span<const boost::asio::const_buffer>(&buffer, 1));
  }(*layer, boost::asio::buffer(bytes));
}

template <class Layer>
boost::asio::awaitable<boost::system::error_code> wait_readable(Socket& socket, Layer* layer) {
  if (layer == nullptr) {
    return [](Socket& s) -> boost::asio::awaitable<boost::system::error_code> {
      auto [ec] = co_await s.async_wait(Socket::wait_read, kNoThrow);
      co_return ec;
    }(socket);
  }
  return layer->wait_readable();
}

}  // namespace layered_io
}  // namespace rampart::core
