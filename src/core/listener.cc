#include "core/listener.h"

#include <netdb.h>
#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>

namespace rampart::core {

namespace asio = boost::asio;
using asio::ip::tcp;

std::optional<tcp::endpoint> resolve_endpoint(const std::string& host, uint16_t port,
                                              std::string& error) {
  boost::system::error_code ec;
  std::string h = host == "*" ? "0.0.0.0" : host;
  auto address = asio::ip::make_address(h, ec);
  if (!ec) return tcp::endpoint(address, port);
  // Names are resolved once, when a config is loaded, never on the request path.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  int rc = getaddrinfo(h.c_str(), nullptr, &hints, &result);
  if (rc != 0 || result == nullptr) {
    error = "cannot resolve '" + host + "': " + gai_strerror(rc);
    return std::nullopt;
  }
  tcp::endpoint endpoint;
  // Prefer IPv4 so "localhost" means 127.0.0.1 as most origins listen there.
  for (addrinfo* ai = result; ai != nullptr; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      endpoint = tcp::endpoint(
          asio::ip::address_v4(ntohl(reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr.s_addr)),
          port);
      freeaddrinfo(result);
      return endpoint;
    }
  }
  auto* sa6 = reinterpret_cast<sockaddr_in6*>(result->ai_addr);
  asio::ip::address_v6::bytes_type bytes;
  std::memcpy(bytes.data(), sa6->sin6_addr.s6_addr, 16);
  endpoint = tcp::endpoint(asio::ip::address_v6(bytes), port);
  freeaddrinfo(result);
  return endpoint;
}

bool open_listener(Acceptor& acceptor, const tcp::endpoint& endpoint, bool reuse_port,
                   std::string& error) {
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    int one = 1;
    if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
    }
  }
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(4096, ec);
  if (ec) {
    error = "cannot listen on " + endpoint.address().to_string() + ":" +
            std::to_string(endpoint.port()) + ": " + ec.message();
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return false;
  }
  return true;
}

}  // namespace rampart::core
