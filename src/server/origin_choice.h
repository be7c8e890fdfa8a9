#pragma once
// Choosing the endpoint of a pool for one request and its retries: the steering policy,
// the hash key (a rules expression over the request), session affinity by cookie, and
// the in-flight bookkeeping each try holds until it ends.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"
#include "pipeline/request_context.h"
#include "proxy/origin_pool.h"
#include "proxy/upstream_pool.h"

namespace rampart::server {

// One try's claim on an endpoint: counted in flight from begin() until end() (or
// destruction), when its time to first byte, if any, feeds the latency average.
class InFlight {
 public:
  InFlight() = default;
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight() { end(); }

  void adopt(proxy::OriginPool& pool, size_t endpoint) {
    end();
    pool_ = &pool;
    endpoint_ = endpoint;
    ttfb_us_.reset();
  }
  void set_ttfb_us(uint64_t us) { ttfb_us_ = us; }
  void swap(InFlight& other) {
    std::swap(pool_, other.pool_);
    std::swap(endpoint_, other.endpoint_);
    std::swap(ttfb_us_, other.ttfb_us_);
  }
  void end() {
    if (pool_ != nullptr) pool_->balancer().on_finish(endpoint_, ttfb_us_);
    pool_ = nullptr;
  }

 private:
  proxy::OriginPool* pool_ = nullptr;
  size_t endpoint_ = 0;
  std::optional<uint64_t> ttfb_us_;
};

// One try in progress: its connection, its endpoint and its in-flight claim.
struct Upstream {
  std::unique_ptr<proxy::UpstreamConnection> connection;
  size_t endpoint = 0;
  InFlight in_flight;
};

// The value of cookie `name` in the request's Cookie headers, or empty.
std::string_view cookie_value(const http::RequestHead& head, std::string_view name);

class EndpointPicker {
 public:
  static constexpr size_t kMaxTries = 16;

  EndpointPicker(proxy::OriginPool& pool, pipeline::RequestContext& ctx,
                 const http::RequestHead& head, uint64_t random);

  // An endpoint not tried yet for this request, already counted in flight (the caller
  // adopts it into an InFlight), or nullopt when none is usable or free.
  std::optional<size_t> next();
  // next(), for a try the pool's retry budget must allow: when the budget is spent the
  // claim is released, the refusal counted, and nullopt returned.
  std::optional<size_t> next_within_budget();
  // True when no endpoint was free only because each is at max_connections.
  bool all_full() const;
  // The Set-Cookie value to send for affinity (empty: none needed).
  std::string affinity_cookie(size_t endpoint) const;

 private:
  proxy::OriginPool& pool_;
  std::string key_;
  std::optional<size_t> preferred_;  // the endpoint the affinity cookie names
  std::array<size_t, kMaxTries> tried_{};
  size_t tried_count_ = 0;
  uint64_t random_;
};

}  // namespace rampart::server
