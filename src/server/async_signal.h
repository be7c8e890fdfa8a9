#pragma once
// A wake-up for one coroutine waiting on another on the same worker: notify() before
// the wait is remembered, so no wake-up is lost between a check and the wait. Built on
// a timer that never expires by itself and is cancelled to wake the waiter.

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/net_types.h"

namespace rampart::server {

class AsyncSignal {
 public:
  explicit AsyncSignal(core::Executor executor) : timer_(executor) {}

  boost::asio::awaitable<void> wait() {
    if (!pending_) {
      timer_.expires_at(core::Timer::time_point::max());
      co_await timer_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    pending_ = false;
  }
  void notify() {
    pending_ = true;
    timer_.cancel();
  }

 private:
  core::Timer timer_;
  bool pending_ = false;
};

}  // namespace rampart::server
