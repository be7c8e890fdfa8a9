// The connection guard's part of a client session: the slow-client rate floors on each
// wait for the client (and the writes to it, which they bound), and overload shedding
// of new requests.

#include <boost/asio/buffer.hpp>

#include "pipeline/extensions.h"
#include "server/client_session.h"
#include "server/overload.h"

namespace rampart::server {

namespace {
using Clock = std::chrono::steady_clock;
}

void ClientSession::arm_client_wait(std::chrono::steady_clock::duration timeout,
                                    const core::RateFloor& floor, uint64_t pending,
                                    GuardClose reason) {
  armed_floor_.reset();
  if (role_ == Role::kConnection && floor.enabled()) {
    auto allowance = floor.allowance(pending);
    if (allowance < timeout) {
      timeout = allowance;
      armed_floor_ = reason;
    }
  }
  deadline_.expire_after(timeout);
}

void ClientSession::note_floor_expiry() {
  if (armed_floor_ && deadline_.expired()) {
    worker_.metrics.count_close(*armed_floor_);
    armed_floor_.reset();
    // Close with a reset: a graceful close would leave what the kernel still buffers
    // for a slow reader (megabytes) to trickle out to it, holding the memory.
    boost::system::error_code ignored;
    io_.socket().set_option(asio::socket_base::linger(true, 0), ignored);
    closing_ = true;
  }
}

bool ClientSession::shed_for_overload(const pipeline::RequestContext& ctx, RequestRecord& record) {
  const config::Overload& settings = snapshot_->config->overload;
  if (!settings.enabled()) return false;
  LoadSample load;
  load.event_loop_lag_us = worker_.metrics.event_loop_lag_us.load(std::memory_order_relaxed);
  load.connections = worker_.shared.limiter.total();
  load.resident_bytes = worker_.shared.metrics.resident_bytes.load(std::memory_order_relaxed);
  Pressure pressure = overload_pressure(settings, load);
  if (pressure.percent < 100) return false;
  ShedClient client;
  client.allow_listed = settings.allow.contains(ctx.client_ip);
  // A valid clearance cookie (the bot modules' check; false when they are not built).
  client.has_clearance = pipeline::has_valid_clearance(ctx);
  ShedReason reason = shed_decision(settings, pressure, client);
  if (reason == ShedReason::kNone) return false;
  worker_.metrics.overload_shed[static_cast<size_t>(reason)].fetch_add(1,
                                                                       std::memory_order_relaxed);
  record.error = "overloaded";
  record.retry_after_s = static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::seconds>(settings.retry_after).count());
  return true;
}

asio::awaitable<bool> ClientSession::write_client(std::string_view bytes) {
  arm_client_wait(snapshot_ ? snapshot_->config->timeouts.send : std::chrono::milliseconds(30'000),
                  send_floor_, bytes.size(), GuardClose::kSlowSend);
  auto waited_from = Clock::now();
  auto [ec, n] = co_await io_.write(bytes);
  co_return finish_client_write(ec, n, waited_from);
}

asio::awaitable<bool> ClientSession::write_client(std::span<const asio::const_buffer> buffers) {
  arm_client_wait(snapshot_->config->timeouts.send, send_floor_, asio::buffer_size(buffers),
                  GuardClose::kSlowSend);
  auto waited_from = Clock::now();
  auto [ec, n] = co_await io_.write(buffers);
  co_return finish_client_write(ec, n, waited_from);
}

bool ClientSession::finish_client_write(boost::system::error_code ec, size_t written,
                                        Clock::time_point waited_from) {
  if (ec) {
    note_floor_expiry();
    closing_ = true;
    return false;
  }
  send_floor_.record(written, Clock::now() - waited_from);
  return true;
}

}  // namespace rampart::server
