// Deadline: one lazily re-armed timer per connection. Each test runs a real io_context
// for well under 300 ms.

#include "core/deadline.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <thread>

namespace {

namespace asio = boost::asio;
using rampart::core::Deadline;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class DeadlineTest : public ::testing::Test {
 protected:
  std::unique_ptr<Deadline> make() {
    return std::make_unique<Deadline>(io_.get_executor(), [this] {
      ++fired_;
      fired_at_ = Clock::now();
    });
  }
  // Runs the loop until it runs out of work or `limit` passes.
  void run(Clock::duration limit = 250ms) { io_.run_for(limit); }
  // Calls `fn` on the loop after `delay`.
  template <typename Fn>
  void after(Clock::duration delay, Fn fn) {
    auto timer = std::make_shared<asio::steady_timer>(io_, delay);
    timer->async_wait([timer, fn](const boost::system::error_code& ec) {
      if (!ec) fn();
    });
  }
  auto elapsed() const { return fired_at_ - start_; }

  asio::io_context io_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point fired_at_{};
  int fired_ = 0;
};

TEST_F(DeadlineTest, FiresAfterTheBudget) {
  auto d = make();
  EXPECT_FALSE(d->expired());
  start_ = Clock::now();
  d->expire_after(40ms);
  run();
  EXPECT_EQ(fired_, 1);
  EXPECT_TRUE(d->expired());
  EXPECT_GE(elapsed(), 40ms);
  EXPECT_LT(elapsed(), 200ms);
}

TEST_F(DeadlineTest, DoesNotFireBeforeTheBudget) {
  auto d = make();
  d->expire_after(150ms);
  io_.run_for(40ms);
  EXPECT_EQ(fired_, 0);
  EXPECT_FALSE(d->expired());
}

TEST_F(DeadlineTest, MovingTheDeadlineLaterDelaysIt) {
  auto d = make();
  start_ = Clock::now();
  d->expire_after(30ms);
  // While the first wait is pending, push the deadline to ~100 ms from the start.
  after(15ms, [&] { d->expire_after(85ms); });
  run();
  EXPECT_EQ(fired_, 1);
  EXPECT_GE(elapsed(), 100ms);
  EXPECT_LT(elapsed(), 250ms);
}

TEST_F(DeadlineTest, MovingTheDeadlineLaterRepeatedly) {
  auto d = make();
  start_ = Clock::now();
  d->expire_after(20ms);
  // Kept alive by activity every 10 ms, then left to expire.
  for (int i = 1; i <= 6; ++i) after(i * 10ms, [&] { d->expire_after(20ms); });
  run();
  EXPECT_EQ(fired_, 1);
  EXPECT_GE(elapsed(), 80ms);  // last move at 60 ms + 20 ms
  EXPECT_LT(elapsed(), 250ms);
}

TEST_F(DeadlineTest, MovingTheDeadlineEarlierFiresSooner) {
  auto d = make();
  start_ = Clock::now();
  d->expire_after(10s);
  d->expire_after(30ms);
  io_.run_for(250ms);
  EXPECT_EQ(fired_, 1);
  EXPECT_GE(elapsed(), 30ms);
  EXPECT_LT(elapsed(), 200ms);
}

TEST_F(DeadlineTest, DisarmPreventsExpiry) {
  auto d = make();
  d->expire_after(30ms);
  d->disarm();
  io_.run_for(100ms);
  EXPECT_EQ(fired_, 0);
  EXPECT_FALSE(d->expired());
}

TEST_F(DeadlineTest, DisarmWhileWaitingPreventsExpiry) {
  auto d = make();
  d->expire_after(40ms);
  after(10ms, [&] { d->disarm(); });
  io_.run_for(120ms);
  EXPECT_EQ(fired_, 0);
}

TEST_F(DeadlineTest, RearmAfterDisarm) {
  auto d = make();
  start_ = Clock::now();
  d->expire_after(20ms);
  d->disarm();
  d->expire_after(60ms);
  run();
  EXPECT_EQ(fired_, 1);
  EXPECT_GE(elapsed(), 60ms);
  EXPECT_LT(elapsed(), 250ms);
}

TEST_F(DeadlineTest, CanExpireAgainAfterExpiring) {
  auto d = make();
  d->expire_after(10ms);
  run();
  ASSERT_EQ(fired_, 1);
  ASSERT_TRUE(d->expired());
  d->reset_expired();
  EXPECT_FALSE(d->expired());
  io_.restart();
  d->expire_after(10ms);
  EXPECT_FALSE(d->expired());  // a new budget clears the flag
  run();
  EXPECT_EQ(fired_, 2);
  EXPECT_TRUE(d->expired());
}

TEST_F(DeadlineTest, DestroyedDeadlineNeverCallsBack) {
  auto d = make();
  d->expire_after(20ms);
  d.reset();
  io_.run_for(80ms);
  EXPECT_EQ(fired_, 0);
}

TEST_F(DeadlineTest, CallbackRunsOnTheExecutorThread) {
  std::thread::id callback_thread;
  Deadline d(io_.get_executor(), [&] { callback_thread = std::this_thread::get_id(); });
  d.expire_after(5ms);
  std::thread runner([&] { io_.run_for(200ms); });
  std::thread::id runner_id = runner.get_id();
  runner.join();
  EXPECT_EQ(callback_thread, runner_id);
}

}  // namespace
