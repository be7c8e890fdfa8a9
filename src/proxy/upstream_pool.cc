#include "proxy/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>
#include <functional>

namespace rampart::proxy {

size_t UpstreamPool::EndpointHash::operator()(const boost::asio::ip::tcp::endpoint& e) const {
  size_t h = std::hash<std::string>{}(e.address().to_string());
  return h ^ (static_cast<size_t>(e.port()) * 0x9e3779b97f4a7c15ull);
}

bool idle_socket_is_usable(boost::asio::ip::tcp::socket& socket) {
  char byte;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
  return false;  // closed (0), reset (<0), or the origin sent bytes nobody asked for (>0)
}

std::unique_ptr<UpstreamConnection> UpstreamPool::acquire(
    const boost::asio::ip::tcp::endpoint& endpoint, Clock::duration max_idle) {
  auto it = idle_.find(endpoint);
  if (it == idle_.end()) return nullptr;
  auto& stack = it->second;
  auto now = Clock::now();
  while (!stack.empty()) {
    std::unique_ptr<UpstreamConnection> conn = std::move(stack.back());
    stack.pop_back();
    if (now - conn->idle_since < max_idle && idle_socket_is_usable(conn->socket)) {
      conn->reused = true;
      ++stats_.reuses;
      return conn;
    }
  }
  return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  auto& stack = idle_[connection->endpoint];
  if (stack.size() >= max_idle_per_endpoint_) return;  // closes it
  connection->idle_since = Clock::now();
  connection->buffer.release_if_empty();
  stack.push_back(std::move(connection));
}

void UpstreamPool::sweep(Clock::duration max_idle) {
  auto now = Clock::now();
  for (auto& [endpoint, stack] : idle_) {
    std::erase_if(stack, [&](const std::unique_ptr<UpstreamConnection>& c) {
      return now - c->idle_since >= max_idle;
    });
  }
}

void UpstreamPool::clear() { idle_.clear(); }

size_t UpstreamPool::idle_count() const {
  size_t n = 0;
  for (const auto& [endpoint, stack] : idle_) n += stack.size();
  return n;
}

}  // namespace rampart::proxy
