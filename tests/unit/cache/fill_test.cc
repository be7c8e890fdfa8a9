// Request collapsing: many readers on several event loops stream one fill while it
// grows; a failed fill wakes everyone and hands the lead to exactly one.

#include "cache/fill.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <thread>

namespace {

namespace asio = boost::asio;
using rampart::cache::Fill;
using rampart::cache::FillRegistry;

// Reads a fill to its end the way a waiting request would: head first, then the body
// as it arrives. Returns the body, or "<failed>".
asio::awaitable<void> read_all(std::shared_ptr<Fill> fill, std::string* out) {
  co_await fill->async_wait(Fill::kHead, asio::use_awaitable);
  size_t offset = 0;
  for (;;) {
    std::string_view part = fill->body_at(offset);
    if (!part.empty()) {
      out->append(part);
      offset += part.size();
      continue;
    }
    Fill::State s = fill->state();
    if (s == Fill::State::kComplete) co_return;
    if (s == Fill::State::kFailed) {
      *out = "<failed>";
      co_return;
    }
    co_await fill->async_wait(offset, asio::use_awaitable);
  }
}

struct Loop {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::thread thread{[this] { io.run(); }};
  // Lets the loop run out of work and waits for it.
  void finish() {
    work.reset();
    if (thread.joinable()) thread.join();
  }
  ~Loop() { finish(); }
};

TEST(Fill, ReadersOnSeveralLoopsStreamTheWholeBodyWhileItGrows) {
  auto fill = std::make_shared<Fill>(10 << 20);
  constexpr int kReaders = 8;
  std::vector<std::string> bodies(kReaders);
  {
    Loop a, b;
    for (int i = 0; i < kReaders; ++i) {
      asio::co_spawn(i % 2 ? a.io : b.io, read_all(fill, &bodies[i]), asio::detached);
    }
    // The readers are waiting before anything exists.
    for (int spins = 0; fill->waiters() < kReaders && spins < 2000; ++spins) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_EQ(fill->waiters(), size_t{kReaders});
    std::vector<rampart::http::Header> headers = {{"Content-Type", "text/plain"}};
    fill->set_head(200, headers);
    std::string expected;
    for (int i = 0; i < 300; ++i) {
      std::string piece(1000 + i, static_cast<char>('a' + i % 26));
      expected += piece;
      ASSERT_TRUE(fill->append(piece));
    }
    fill->complete();
    a.finish();
    b.finish();
    for (const std::string& body : bodies) EXPECT_EQ(body, expected);
    EXPECT_GT(expected.size(), 3 * Fill::kBlockBytes);  // crossed block boundaries
  }
  EXPECT_EQ(fill->status(), 200);
  ASSERT_EQ(fill->headers().size(), 1u);
  EXPECT_EQ(fill->headers()[0].value, "text/plain");
}

TEST(Fill, FailureWakesEveryReader) {
  auto fill = std::make_shared<Fill>(1 << 20);
  std::vector<std::string> bodies(4);
  {
    Loop loop;
    for (auto& body : bodies) asio::co_spawn(loop.io, read_all(fill, &body), asio::detached);
    for (int spins = 0; fill->waiters() < 4 && spins < 2000; ++spins) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    fill->set_head(200, {});
    fill->append("partial");
    fill->fail();
  }
  for (const std::string& body : bodies) EXPECT_EQ(body, "<failed>");
}

TEST(Fill, BodyOverTheCapFailsTheFill) {
  Fill fill(100);
  fill.set_head(200, {});
  EXPECT_TRUE(fill.append(std::string(60, 'x')));
  EXPECT_FALSE(fill.append(std::string(60, 'x')));
  EXPECT_EQ(fill.state(), Fill::State::kFailed);
  EXPECT_FALSE(fill.append("x"));
}

TEST(Fill, AppendBeforeTheHeadIsRefused) {
  Fill fill(100);
  EXPECT_FALSE(fill.append("x"));
  fill.complete();  // nothing to complete either
  EXPECT_EQ(fill.state(), Fill::State::kPending);
}

TEST(Fill, PassWakesHeadWaitersAndStaysPassed) {
  // An answer that may not be shared: every waiter goes to the origin itself.
  auto fill = std::make_shared<Fill>(1 << 20);
  std::atomic<int> woken{0};
  {
    Loop loop;
    for (int i = 0; i < 3; ++i) {
      asio::co_spawn(
          loop.io,
          [&woken, fill]() -> asio::awaitable<void> {
            co_await fill->async_wait(Fill::kHead, asio::use_awaitable);
            if (fill->state() == Fill::State::kPass) ++woken;
          },
          asio::detached);
    }
    for (int spins = 0; fill->waiters() < 3 && spins < 2000; ++spins) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    fill->pass();
    fill->fail();  // the leader's clean-up does not turn a pass into a failure
  }
  EXPECT_EQ(woken.load(), 3);
  EXPECT_EQ(fill->state(), Fill::State::kPass);
  FillRegistry registry;
  auto led = registry.join("k", 100);
  led.fill->pass();
  // Later misses see the pass at once instead of leading another fetch to wait on.
  EXPECT_FALSE(registry.join("k", 100).leader);
}

TEST(Fill, HeadCarriesTheLeadersVaryKey) {
  Fill fill(100);
  fill.set_head(200, {}, "accept-language=de");
  EXPECT_EQ(fill.vary_key(), "accept-language=de");
}

TEST(FillRegistry, OneLeaderPerKeyThenOneRetryAfterAFailure) {
  FillRegistry registry;
  auto first = registry.join("k", 1000);
  EXPECT_TRUE(first.leader);
  auto second = registry.join("k", 1000);
  auto third = registry.join("k", 1000);
  EXPECT_FALSE(second.leader);
  EXPECT_FALSE(third.leader);
  EXPECT_EQ(second.fill, first.fill);
  EXPECT_TRUE(registry.join("other", 1000).leader);
  // The fetch fails: of the waiters who come back, exactly one leads the next attempt.
  first.fill->fail();
  auto retry_a = registry.join("k", 1000);
  auto retry_b = registry.join("k", 1000);
  EXPECT_TRUE(retry_a.leader);
  EXPECT_FALSE(retry_b.leader);
  EXPECT_EQ(retry_b.fill, retry_a.fill);
  EXPECT_NE(retry_a.fill, first.fill);
  // The first leader finishing late does not remove the new attempt.
  registry.finish("k", first.fill);
  EXPECT_FALSE(registry.join("k", 1000).leader);
  registry.finish("k", retry_a.fill);
  EXPECT_TRUE(registry.join("k", 1000).leader);
}

TEST(FillRegistry, ConcurrentMissesElectOneLeader) {
  FillRegistry registry;
  std::atomic<int> leaders{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) leaders += registry.join("hot", 1000).leader ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(leaders.load(), 1);
}

}  // namespace
