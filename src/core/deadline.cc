#include "core/deadline.h"

namespace rampart::core {

Deadline::Deadline(Executor executor, std::function<void()> on_expire)
    : timer_(std::move(executor)),
      on_expire_(std::move(on_expire)),
      alive_(std::make_shared<bool>(true)) {}

Deadline::~Deadline() {
  *alive_ = false;
  boost::system::error_code ignored;
  timer_.cancel();
}

void Deadline::expire_after(Clock::duration budget) {
  expired_ = false;
  deadline_ = Clock::now() + budget;
  // An armed timer that wakes before the new deadline re-arms itself; only arm now when
  // nothing is waiting or the new deadline is earlier than the armed one.
  if (!waiting_ || deadline_ < armed_at_) arm(deadline_);
}

void Deadline::stop() {
  deadline_ = Clock::time_point::max();
  expired_ = false;
  if (waiting_) {
    waiting_ = false;
    armed_at_ = Clock::time_point::max();
    timer_.cancel();
  }
}

void Deadline::arm(Clock::time_point at) {
  armed_at_ = at;
  waiting_ = true;
  timer_.expires_at(at);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive) return;
    if (ec == boost::asio::error::operation_aborted) {
      return;  // re-armed earlier (a newer wait is pending) or destroyed
    }
    waiting_ = false;
    if (deadline_ == Clock::time_point::max()) return;
    auto now = Clock::now();
    if (now < deadline_) {
      arm(deadline_);
      return;
    }
    expired_ = true;
    deadline_ = Clock::time_point::max();
    on_expire_();
  });
}

}  // namespace rampart::core
