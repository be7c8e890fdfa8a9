#pragma once
// Listening sockets. Each worker binds its own socket to the same address with
// SO_REUSEPORT so the kernel spreads new connections across workers without a lock.

#include "core/net_types.h"

#include <optional>
#include <string>

namespace rampart::core {

// Resolves "host" (IP literal, "localhost" or a name) and port to an endpoint.
std::optional<boost::asio::ip::tcp::endpoint> resolve_endpoint(const std::string& host,
                                                               uint16_t port, std::string& error);

// Opens, binds (SO_REUSEADDR + SO_REUSEPORT) and listens. Returns false with `error` set.
bool open_listener(Acceptor& acceptor, const boost::asio::ip::tcp::endpoint& endpoint,
                   bool reuse_port, std::string& error);

}  // namespace rampart::core
