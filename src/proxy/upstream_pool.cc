#include "proxy/upstream_pool.h"

#include <functional>

namespace rampart::proxy {

size_t UpstreamPool::KeyHash::operator()(const Key& k) const {
  const boost::asio::ip::tcp::endpoint& e = k.endpoint;
  size_t h = k.transport * 0x100000001b3ull;
  if (e.address().is_v4()) {
    h = e.address().to_v4().to_uint();
  } else {
    for (unsigned char b : e.address().to_v6().to_bytes()) h = h * 131 + b;
  }
  return (h ^ (static_cast<size_t>(e.port()) << 32)) * 0x9e3779b97f4a7c15ull;
}

std::unique_ptr<UpstreamConnection> UpstreamPool::acquire(
    const boost::asio::ip::tcp::endpoint& endpoint, uint64_t transport, Clock::duration max_idle,
    Clock::duration verify_after) {
  auto it = idle_.find(Key{endpoint, transport});
  if (it == idle_.end()) return nullptr;
  auto& stack = it->second;
  auto now = Clock::now();
  while (!stack.empty()) {
    std::unique_ptr<UpstreamConnection> conn = std::move(stack.back());
    stack.pop_back();
    auto idle_for = now - conn->idle_since;
    // A peek costs a syscall; skip it for connections that were busy a moment ago when
    // the caller can retry safely if the origin closed one anyway.
    if (idle_for < max_idle && (idle_for < verify_after || conn->io.idle_usable())) {
      conn->reused = true;
      ++stats_.reuses;
      return conn;
    }
  }
  return nullptr;
}

void UpstreamPool::release(std::unique_ptr<UpstreamConnection> connection) {
  auto& stack = idle_[Key{connection->endpoint, connection->io.transport()}];
  if (stack.size() >= std::min<size_t>(connection->max_idle, max_idle_per_endpoint_)) {
    return;  // closes it
  }
  connection->idle_since = Clock::now();
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

void UpstreamPool::clear() {
  idle_.clear();
}

size_t UpstreamPool::idle_count() const {
  size_t n = 0;
  for (const auto& [endpoint, stack] : idle_) n += stack.size();
  return n;
}

}  // namespace rampart::proxy
