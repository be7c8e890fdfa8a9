// Hedging: when the origin has not started answering an idempotent GET or HEAD within
// `hedge_after`, the same request goes to a second endpoint and whichever starts
// answering first is used; the other connection is closed. A hedge is a retry for the
// retry budget, so hedging cannot multiply load on a struggling pool either.

#include <boost/asio/experimental/awaitable_operators.hpp>

#include "core/log.h"
#include "server/client_session.h"
#include "server/session_io.h"

namespace rampart::server {

using session_io::kNoThrow;
using namespace boost::asio::experimental::awaitable_operators;

asio::awaitable<void> ClientSession::hedge_if_slow(Upstream& primary, proxy::OriginPool& pool,
                                                   EndpointPicker& picker,
                                                   std::chrono::milliseconds hedge_after,
                                                   std::chrono::milliseconds per_try,
                                                   RequestRecord& record) {
  const config::Timeouts& t = snapshot_->config->timeouts;
  auto started = std::chrono::steady_clock::now();
  core::Timer timer(worker_.io.get_executor());
  timer.expires_after(hedge_after);
  auto first = co_await (primary.connection->io.wait_readable() || timer.async_wait(kNoThrow));
  if (first.index() == 0) co_return;  // the origin started answering (or closed) in time

  std::optional<size_t> next = picker.next_within_budget();
  if (!next) co_return;
  Upstream hedge;
  hedge.endpoint = *next;
  hedge.in_flight.adopt(pool, *next);
  const proxy::OriginEndpoint& target = pool.endpoint(*next);
  hedge.connection = worker_.pool.acquire(target.address, pool.transport(), t.upstream_idle,
                                          std::chrono::seconds(0));
  if (!hedge.connection) {
    hedge.connection =
        std::make_unique<proxy::UpstreamConnection>(core::Socket(worker_.io.get_executor()));
    hedge.connection->endpoint = target.address;
    hedge.connection->max_idle = pool.config().max_idle;
    timer.expires_after(t.upstream_connect);
    auto connected = co_await (hedge.connection->io.connect(target, pool.tls(), pool.http2()) ||
                               timer.async_wait(kNoThrow));
    if (connected.index() != 0 || !std::get<0>(connected).ok()) {
      pool.record(*next, proxy::TryOutcome::kConnectFailure, proxy::steady_now_ms());
      co_return;  // the primary try carries on alone
    }
  }
  auto [wec, wn] = co_await hedge.connection->io.write(std::string_view(a_->out));
  if (wec) co_return;
  pool.retries.fetch_add(1, std::memory_order_relaxed);
  worker_.metrics.upstream_hedges.fetch_add(1, std::memory_order_relaxed);
  ++record.tries;

  auto left = per_try - std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started);
  timer.expires_after(std::max(left, std::chrono::milliseconds(1)));
  auto winner = co_await (primary.connection->io.wait_readable() ||
                          hedge.connection->io.wait_readable() || timer.async_wait(kNoThrow));
  if (winner.index() == 1) {
    // The hedge answered first: it becomes the try; the primary's connection is
    // dropped with its unread answer and its in-flight claim ends unmeasured.
    std::swap(primary.connection, hedge.connection);
    std::swap(primary.endpoint, hedge.endpoint);
    primary.in_flight.swap(hedge.in_flight);
    record.upstream = pool.endpoint(primary.endpoint).name;
    upstream_ = primary.connection.get();
  }
  // Otherwise the primary answered, or neither did in time: the primary's head read
  // then runs into the per-try deadline as usual.
}

}  // namespace rampart::server
