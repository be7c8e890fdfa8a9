// Active health checks against real loopback servers: status ranges, body text,
// timeouts, thresholds in both directions, and TCP checks.

#include "proxy/health_checker.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

namespace {

using rampart::config::HealthCheckKind;
using rampart::config::Pool;
using rampart::config::PoolEndpoint;
using rampart::config::StatusRange;
using rampart::proxy::HealthChecker;
using rampart::proxy::OriginSet;
using rampart::proxy::OriginStateStore;
using rampart::proxy::status_expected;
using namespace std::chrono_literals;

TEST(StatusExpected, RangesAndDefault) {
  std::vector<StatusRange> two_xx{{200, 299}};
  EXPECT_TRUE(status_expected(204, two_xx));
  EXPECT_FALSE(status_expected(301, two_xx));
  std::vector<StatusRange> mixed{{200, 299}, {301, 301}};
  EXPECT_TRUE(status_expected(301, mixed));
  EXPECT_FALSE(status_expected(302, mixed));
  EXPECT_TRUE(status_expected(302, {}));  // default 200-399
  EXPECT_FALSE(status_expected(404, {}));
}

// A tiny HTTP server on a loopback port whose answer the test can change.
class CheckTarget {
 public:
  CheckTarget() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 64);
    thread_ = std::thread([this] { serve(); });
  }
  ~CheckTarget() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  void answer(std::string response) {
    std::lock_guard lock(mutex_);
    response_ = std::move(response);
  }
  int requests() const { return requests_.load(); }

 private:
  void serve() {
    while (!stop_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      std::string got;
      while (got.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      std::string response;
      {
        std::lock_guard lock(mutex_);
        response = response_;
      }
      if (!response.empty()) ::write(c, response.data(), response.size());
      if (response != "hang")
        ::close(c);
      else
        hung_.push_back(c);
    }
    for (int c : hung_) ::close(c);
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::string response_ = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  std::vector<int> hung_;
};

std::shared_ptr<OriginSet> one_pool(uint16_t port, const std::function<void(Pool&)>& tweak,
                                    OriginStateStore& store) {
  rampart::config::Config cfg;
  Pool p;
  p.name = "web";
  PoolEndpoint e;
  e.address.host = "127.0.0.1";
  e.address.port = port;
  p.endpoints.push_back(e);
  p.health_check.enabled = true;
  p.health_check.path = "/health";
  p.health_check.interval = 50ms;
  p.health_check.timeout = 200ms;
  p.health_check.healthy_threshold = 2;
  p.health_check.unhealthy_threshold = 2;
  p.health_check.jitter_percent = 0;
  tweak(p);
  cfg.pools.push_back(p);
  std::vector<rampart::config::Diagnostic> errors;
  auto set = OriginSet::build(cfg, store, errors);
  EXPECT_TRUE(errors.empty());
  return set;
}

bool wait_for(const std::function<bool()>& pred, std::chrono::milliseconds limit = 3s) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

TEST(HealthChecker, GoesDownOnBadStatusAndBackUpAfterThreshold) {
  CheckTarget target;
  OriginStateStore store;
  auto set = one_pool(
      target.port(), [](Pool&) {}, store);
  auto& state = set->pools()[0]->state(0);
  HealthChecker checker;
  checker.update(set);
  ASSERT_TRUE(wait_for([&] { return state.check_passes.load() >= 2; }));
  EXPECT_TRUE(state.healthy.load());
  target.answer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
  ASSERT_TRUE(wait_for([&] { return !state.healthy.load(); }));
  EXPECT_GE(state.check_failures.load(), 2u);
  target.answer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_TRUE(wait_for([&] { return state.healthy.load(); }));
  checker.stop();
}

TEST(HealthChecker, ExpectedBodyText) {
  CheckTarget target;
  target.answer("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nstarting");
  OriginStateStore store;
  auto set = one_pool(
      target.port(), [](Pool& p) { p.health_check.expected_body = "ready"; }, store);
  auto& state = set->pools()[0]->state(0);
  HealthChecker checker;
  checker.update(set);
  ASSERT_TRUE(wait_for([&] { return !state.healthy.load(); }));
  target.answer("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nall ready");
  ASSERT_TRUE(wait_for([&] { return state.healthy.load(); }));
}

TEST(HealthChecker, TimeoutCountsAsFailure) {
  CheckTarget target;
  target.answer("hang");  // accepts, reads, never answers
  OriginStateStore store;
  auto set = one_pool(
      target.port(), [](Pool& p) { p.health_check.timeout = 50ms; }, store);
  auto& state = set->pools()[0]->state(0);
  HealthChecker checker;
  checker.update(set);
  ASSERT_TRUE(wait_for([&] { return !state.healthy.load(); }));
}

TEST(HealthChecker, TcpCheckNeedsOnlyAConnect) {
  CheckTarget target;
  target.answer("");  // closes without a byte: fine for TCP, not for HTTP
  OriginStateStore store;
  auto set = one_pool(
      target.port(), [](Pool& p) { p.health_check.kind = HealthCheckKind::kTcp; }, store);
  auto& state = set->pools()[0]->state(0);
  HealthChecker checker;
  checker.update(set);
  ASSERT_TRUE(wait_for([&] { return state.check_passes.load() >= 3; }));
  EXPECT_TRUE(state.healthy.load());

  OriginStateStore store2;
  auto http = one_pool(
      target.port(), [](Pool&) {}, store2);
  auto& http_state = http->pools()[0]->state(0);
  checker.update(http);
  ASSERT_TRUE(wait_for([&] { return !http_state.healthy.load(); }));
}

TEST(HealthChecker, RefusedConnectionGoesDown) {
  uint16_t port;
  {
    CheckTarget closed;
    port = closed.port();
  }
  OriginStateStore store;
  auto set = one_pool(
      port, [](Pool&) {}, store);
  auto& state = set->pools()[0]->state(0);
  HealthChecker checker;
  checker.update(set);
  ASSERT_TRUE(wait_for([&] { return !state.healthy.load(); }));
}

TEST(HealthChecker, EndsEjectionsOnTime) {
  CheckTarget target;
  OriginStateStore store;
  auto set = one_pool(
      target.port(),
      [](Pool& p) {
        p.health_check.enabled = false;
        p.outlier_detection.consecutive_failures = 1;
        p.outlier_detection.base_ejection = 300ms;
        p.outlier_detection.max_ejected_percent = 100;
      },
      store);
  auto& pool = *set->pools()[0];
  HealthChecker checker;
  checker.update(set);
  pool.record(0, rampart::proxy::TryOutcome::kConnectFailure, rampart::proxy::steady_now_ms());
  EXPECT_TRUE(pool.state(0).ejected.load());
  ASSERT_TRUE(wait_for([&] { return !pool.state(0).ejected.load(); }, 2s));
}

}  // namespace
