#pragma once
// Socket and timer types bound to io_context's own executor rather than the type-erased
// any_io_executor: every pending operation then carries an 8-byte executor instead of
// a polymorphic one, which matters with tens of thousands of idle connections.

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/basic_stream_socket.hpp>
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstddef>
#include <tuple>

namespace rampart::core {

using Executor = boost::asio::io_context::executor_type;
using Socket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, Executor>;
using Acceptor = boost::asio::basic_socket_acceptor<boost::asio::ip::tcp, Executor>;
using Timer = boost::asio::basic_waitable_timer<
    std::chrono::steady_clock, boost::asio::wait_traits<std::chrono::steady_clock>, Executor>;

// What a read or write completes with: the error, and the bytes it moved.
using IoResult = std::tuple<boost::system::error_code, size_t>;

}  // namespace rampart::core
