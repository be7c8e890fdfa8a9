#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <memory>
#include <string>

#include "core/net_types.h"
#include "server/server.h"

namespace rampart::admin {

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, server::Server& server);
  // Opens the admin listener from the running config; false with `error` on failure.
  bool start(std::string& error);
  void stop();

 private:
  boost::asio::io_context& io_;
  server::Server& server_;
  std::unique_ptr<core::Acceptor> acceptor_;
};

// The response to one admin request (exposed for tests). `authorization` is the
// Authorization header value, if any.
struct AdminResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};
AdminResponse handle_admin_request(server::Server& server, std::string_view method,
                                   std::string_view path, std::string_view query,
                                   std::string_view authorization);

}  // namespace rampart::admin
