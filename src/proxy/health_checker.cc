#include "proxy/health_checker.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <random>

#include "core/log.h"
#include "core/net_types.h"
#include "http/h1_parser.h"
#include "proxy/upstream_io.h"

namespace rampart::proxy {

namespace asio = boost::asio;
using Ms = std::chrono::milliseconds;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr size_t kMaxCheckResponse = 64 * 1024;
constexpr Ms kHousekeeping{100};

std::string check_request(const config::HealthCheck& hc, const OriginEndpoint& endpoint) {
  std::string out = hc.method + " " + hc.path + " HTTP/1.1\r\nHost: ";
  out += hc.host.empty() ? endpoint.name : hc.host;
  out += "\r\nUser-Agent: rampart-health-check\r\nAccept: */*\r\nConnection: close\r\n";
  for (const config::HeaderRule& h : hc.headers) out += h.name + ": " + h.value + "\r\n";
  out += "\r\n";
  return out;
}

// What the response read so far says; nullopt while more bytes could change the answer.
std::optional<CheckResult> judge(const config::HealthCheck& hc, std::string_view data,
                                 std::string_view method, bool complete) {
  http::ResponseHead head;
  http::ParseResult r =
      http::parse_response_head(data, method, http::ParserLimits{16384, 65536, 200, 0}, head);
  if (r.status == http::ParseStatus::kError) return CheckResult{false, "malformed response"};
  if (r.status != http::ParseStatus::kComplete) {
    if (complete) return CheckResult{false, "closed before a full response head"};
    return std::nullopt;
  }
  if (!status_expected(head.status, hc.expected)) {
    return CheckResult{false, "status " + std::to_string(head.status)};
  }
  if (hc.expected_body.empty()) return CheckResult{true, ""};
  std::string_view body = data.substr(r.consumed);
  if (body.find(hc.expected_body) != std::string_view::npos) return CheckResult{true, ""};
  bool have_all =
      complete ||
      (head.body == http::BodyKind::kContentLength && body.size() >= head.content_length) ||
      head.body == http::BodyKind::kNone;
  if (have_all || data.size() >= kMaxCheckResponse) {
    return CheckResult{false, "body does not contain the expected text"};
  }
  return std::nullopt;
}

}  // namespace

bool status_expected(int status, std::span<const config::StatusRange> ranges) {
  if (ranges.empty()) return status >= 200 && status <= 399;
  for (const config::StatusRange& r : ranges) {
    if (status >= r.low && status <= r.high) return true;
  }
  return false;
}

struct HealthChecker::Impl {
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread;
  // Touched only on the checker's thread.
  std::shared_ptr<const OriginSet> origins;
  uint64_t generation = 0;
  std::mt19937_64 rng{std::random_device{}()};
  bool housekeeping_started = false;

  Ms jittered(Ms interval, uint32_t percent) {
    if (percent == 0) return interval;
    uint64_t extra = static_cast<uint64_t>(interval.count()) * percent / 100;
    return interval + Ms(extra == 0 ? 0 : rng() % (extra + 1));
  }

  asio::awaitable<CheckResult> probe(const config::HealthCheck& hc, const OriginEndpoint& endpoint,
                                     const tls::OriginContext* tls, bool http2) {
    auto upstream = std::make_shared<UpstreamIo>(core::Socket(io.get_executor()));
    auto timed_out = std::make_shared<bool>(false);
    core::Timer timer(io.get_executor());
    timer.expires_after(hc.timeout);
    timer.async_wait([upstream, timed_out](boost::system::error_code ec) {
      if (ec) return;
      *timed_out = true;
      upstream->close();
    });
    auto finish = [&](CheckResult r) {
      timer.cancel();
      if (*timed_out)
        r = CheckResult{false, "timed out after " + std::to_string(hc.timeout.count()) + " ms"};
      return r;
    };
    // An HTTPS pool is checked over TLS with the pool's own verification: an endpoint
    // whose certificate would fail real requests fails its check too.
    // An http2 pool is checked over HTTP/2 (the same HTTP/1.1 check, carried as one
    // stream), so a check reaches the origin the way requests do.
    ConnectResult connected = co_await upstream->connect(endpoint, tls, http2);
    if (connected.error) co_return finish({false, "connect: " + connected.error.message()});
    if (connected.tls) co_return finish({false, "TLS: " + connected.tls->reason});
    if (hc.kind == config::HealthCheckKind::kTcp) co_return finish({true, ""});
    std::string request = check_request(hc, endpoint);
    auto [wec, wn] = co_await upstream->write(std::string_view(request));
    if (wec) co_return finish({false, "write: " + wec.message()});
    std::string data;
    char chunk[4096];
    for (;;) {
      auto [rec, n] = co_await upstream->read_some(asio::buffer(chunk));
      data.append(chunk, n);
      bool complete = rec || data.size() >= kMaxCheckResponse;
      if (auto verdict = judge(hc, data, hc.method, complete)) co_return finish(*verdict);
      if (complete) co_return finish({false, "read: " + rec.message()});
    }
  }

  asio::awaitable<void> check_loop(std::shared_ptr<const OriginSet> set, OriginPool* pool, size_t i,
                                   uint64_t my_generation) {
    const config::HealthCheck& hc = pool->config().health_check;
    // Start spread over the first interval so checks of many endpoints do not align.
    core::Timer timer(io.get_executor());
    timer.expires_after(Ms(rng() % static_cast<uint64_t>(std::max<int64_t>(
                                       1, std::min<int64_t>(hc.interval.count(), 1000)))));
    co_await timer.async_wait(kNoThrow);
    while (generation == my_generation) {
      EndpointState& s = pool->state(i);
      if (s.admin() != AdminState::kDisabled) {
        CheckResult r = co_await probe(hc, pool->endpoint(i), pool->tls(), pool->http2());
        if (generation != my_generation) break;
        if (r.ok) {
          s.check_failures.store(0, std::memory_order_relaxed);
          uint32_t passes = s.check_passes.fetch_add(1, std::memory_order_relaxed) + 1;
          if (passes >= hc.healthy_threshold) pool->set_healthy(i, true, "health check passed");
        } else {
          s.check_passes.store(0, std::memory_order_relaxed);
          uint32_t failures = s.check_failures.fetch_add(1, std::memory_order_relaxed) + 1;
          if (failures >= hc.unhealthy_threshold) {
            pool->set_healthy(
                i, false,
                "health check failed " + std::to_string(failures) + " times: " + r.reason);
          }
        }
      }
      timer.expires_after(jittered(hc.interval, hc.jitter_percent));
      co_await timer.async_wait(kNoThrow);
    }
    (void)set;  // held so the pool outlives the loop
  }

  asio::awaitable<void> housekeeping() {
    core::Timer timer(io.get_executor());
    for (;;) {
      if (origins) {
        int64_t now = steady_now_ms();
        for (const auto& pool : origins->pools()) pool->end_ejections(now);
      }
      timer.expires_after(kHousekeeping);
      auto [ec] = co_await timer.async_wait(kNoThrow);
      if (ec || io.stopped()) co_return;
    }
  }

  void apply(std::shared_ptr<const OriginSet> set) {
    ++generation;
    origins = set;
    if (!housekeeping_started) {
      housekeeping_started = true;
      asio::co_spawn(io, housekeeping(), asio::detached);
    }
    if (!set) return;
    for (const auto& pool : set->pools()) {
      if (!pool->config().health_check.enabled) continue;
      for (size_t i = 0; i < pool->size(); ++i) {
        asio::co_spawn(io, check_loop(set, pool.get(), i, generation), asio::detached);
      }
    }
  }
};

HealthChecker::HealthChecker() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

HealthChecker::~HealthChecker() {
  stop();
}

void HealthChecker::update(std::shared_ptr<const OriginSet> origins) {
  asio::post(impl_->io, [impl = impl_.get(), origins = std::move(origins)]() mutable {
    impl->apply(std::move(origins));
  });
}

void HealthChecker::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->work.reset();
  impl_->io.stop();
  impl_->thread.join();
  // Pending coroutines (and the pools they hold) go with the io_context.
}

}  // namespace rampart::proxy
