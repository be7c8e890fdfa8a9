// The per-worker pool of idle origin connections, on real loopback sockets.

#include "proxy/upstream_pool.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using rampart::proxy::idle_socket_is_usable;
using rampart::proxy::UpstreamConnection;
using rampart::proxy::UpstreamPool;
using namespace std::chrono_literals;

// A loopback "origin": accepts connections and keeps its ends so tests can close them.
class UpstreamPoolTest : public ::testing::Test {
 protected:
  UpstreamPoolTest()
      : acceptor_(io_.get_executor(), tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    endpoint_ = acceptor_.local_endpoint();
  }

  // A connected client socket wrapped as a pooled connection; the origin's end is kept
  // in origin_sides_ at the same index.
  std::unique_ptr<UpstreamConnection> connect(const tcp::endpoint& to) {
    rampart::core::Socket client(io_.get_executor());
    client.connect(to);
    origin_sides_.push_back(acceptor_.accept());
    auto conn = std::make_unique<UpstreamConnection>(std::move(client));
    conn->endpoint = to;
    return conn;
  }
  std::unique_ptr<UpstreamConnection> connect() { return connect(endpoint_); }

  // Waits (bounded) until the client end sees the origin's FIN or data.
  static void wait_readable(rampart::core::Socket& socket) {
    for (int i = 0; i < 200 && idle_socket_is_usable(socket); ++i) std::this_thread::sleep_for(1ms);
  }

  asio::io_context io_;
  rampart::core::Acceptor acceptor_;
  tcp::endpoint endpoint_;
  std::vector<rampart::core::Socket> origin_sides_;
};

TEST_F(UpstreamPoolTest, EmptyPoolGivesNothing) {
  UpstreamPool pool;
  EXPECT_EQ(pool.acquire(endpoint_, 0, 60s), nullptr);
  EXPECT_EQ(pool.stats().reuses, 0u);
  EXPECT_EQ(pool.idle_count(), 0u);
}

TEST_F(UpstreamPoolTest, ReleaseThenAcquireGivesTheSameConnection) {
  UpstreamPool pool;
  auto conn = connect();
  EXPECT_FALSE(conn->reused);
  UpstreamConnection* raw = conn.get();
  auto local = conn->io.socket().local_endpoint();
  pool.release(std::move(conn));
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_EQ(pool.stats().reuses, 0u);

  auto again = pool.acquire(endpoint_, 0, 60s);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again.get(), raw);
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->io.socket().local_endpoint(), local);
  EXPECT_TRUE(again->io.socket().is_open());
  EXPECT_EQ(pool.stats().reuses, 1u);
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.acquire(endpoint_, 0, 60s), nullptr);  // taken, not copied
  EXPECT_EQ(pool.stats().reuses, 1u);

  // Still a working connection: bytes reach the origin.
  asio::write(again->io.socket(), asio::buffer(std::string_view("ping")));
  char buf[4];
  asio::read(origin_sides_[0], asio::buffer(buf));
  EXPECT_EQ(std::string_view(buf, 4), "ping");
}

TEST_F(UpstreamPoolTest, ReuseCounterCountsEveryReuse) {
  UpstreamPool pool;
  auto conn = connect();
  for (int i = 0; i < 3; ++i) {
    pool.release(std::move(conn));
    conn = pool.acquire(endpoint_, 0, 60s);
    ASSERT_NE(conn, nullptr) << i;
  }
  EXPECT_EQ(pool.stats().reuses, 3u);
}

TEST_F(UpstreamPoolTest, MostRecentlyReleasedComesFirst) {
  UpstreamPool pool;
  auto a = connect();
  auto b = connect();
  UpstreamConnection* raw_a = a.get();
  UpstreamConnection* raw_b = b.get();
  pool.release(std::move(a));
  pool.release(std::move(b));
  EXPECT_EQ(pool.acquire(endpoint_, 0, 60s).get(), raw_b);
  EXPECT_EQ(pool.acquire(endpoint_, 0, 60s).get(), raw_a);
}

TEST_F(UpstreamPoolTest, ConnectionsArePooledPerEndpoint) {
  tcp::acceptor other(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  UpstreamPool pool;
  pool.release(connect());
  EXPECT_EQ(pool.acquire(other.local_endpoint(), 0, 60s), nullptr);
  tcp::endpoint same_port_other_ip(asio::ip::make_address("127.0.0.2"), endpoint_.port());
  EXPECT_EQ(pool.acquire(same_port_other_ip, 0, 60s), nullptr);
  // A plain connection is never handed to a pool that speaks TLS to the same address.
  EXPECT_EQ(pool.acquire(endpoint_, 7, 60s), nullptr);
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_NE(pool.acquire(endpoint_, 0, 60s), nullptr);
}

TEST_F(UpstreamPoolTest, PeerClosedConnectionIsDiscarded) {
  UpstreamPool pool;
  auto conn = connect();
  rampart::core::Socket* client = &conn->io.socket();
  pool.release(std::move(conn));
  origin_sides_[0].close();
  wait_readable(*client);
  EXPECT_EQ(pool.acquire(endpoint_, 0, 60s), nullptr);
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.stats().reuses, 0u);
}

TEST_F(UpstreamPoolTest, DeadConnectionIsSkippedForALiveOneBelowIt) {
  UpstreamPool pool;
  auto live = connect();
  auto dead = connect();
  UpstreamConnection* raw_live = live.get();
  rampart::core::Socket* dead_client = &dead->io.socket();
  pool.release(std::move(live));
  pool.release(std::move(dead));  // on top
  origin_sides_[1].close();
  wait_readable(*dead_client);
  auto got = pool.acquire(endpoint_, 0, 60s);
  EXPECT_EQ(got.get(), raw_live);
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.stats().reuses, 1u);
}

TEST_F(UpstreamPoolTest, VerifyAfterSkipsThePeekOnlyForRecentlyUsedConnections) {
  UpstreamPool pool;
  auto conn = connect();
  rampart::core::Socket* client = &conn->io.socket();
  pool.release(std::move(conn));
  origin_sides_[0].close();
  wait_readable(*client);
  // Idle for less than verify_after: handed out unchecked (the caller retries).
  auto unchecked = pool.acquire(endpoint_, 0, 60s, 10s);
  ASSERT_NE(unchecked, nullptr);
  EXPECT_EQ(pool.stats().reuses, 1u);

  pool.release(std::move(unchecked));
  std::this_thread::sleep_for(10ms);
  // Idle for longer than verify_after: checked, found closed, discarded.
  EXPECT_EQ(pool.acquire(endpoint_, 0, 60s, 1ms), nullptr);
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.stats().reuses, 1u);
}

TEST_F(UpstreamPoolTest, ConnectionWithUnexpectedBytesIsDiscarded) {
  UpstreamPool pool;
  auto conn = connect();
  rampart::core::Socket* client = &conn->io.socket();
  pool.release(std::move(conn));
  asio::write(origin_sides_[0], asio::buffer(std::string_view("HTTP/1.1 408 Timeout\r\n\r\n")));
  wait_readable(*client);
  EXPECT_EQ(pool.acquire(endpoint_, 0, 60s), nullptr);
  EXPECT_EQ(pool.idle_count(), 0u);
}

TEST_F(UpstreamPoolTest, IdleSocketIsUsable) {
  auto conn = connect();
  EXPECT_TRUE(idle_socket_is_usable(conn->io.socket()));
  origin_sides_[0].close();
  wait_readable(conn->io.socket());
  EXPECT_FALSE(idle_socket_is_usable(conn->io.socket()));
}

TEST_F(UpstreamPoolTest, MaxIdleExpiry) {
  UpstreamPool pool;
  pool.release(connect());
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(pool.acquire(endpoint_, 0, 10ms), nullptr);  // too old: discarded
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.stats().reuses, 0u);

  pool.release(connect());
  std::this_thread::sleep_for(30ms);
  EXPECT_NE(pool.acquire(endpoint_, 0, 10s), nullptr);  // young enough under a larger budget
}

TEST_F(UpstreamPoolTest, ZeroMaxIdleNeverReuses) {
  UpstreamPool pool;
  pool.release(connect());
  EXPECT_EQ(pool.acquire(endpoint_, 0, 0s), nullptr);
}

TEST_F(UpstreamPoolTest, IdleTimeRestartsOnEveryRelease) {
  UpstreamPool pool;
  auto conn = connect();
  pool.release(std::move(conn));
  std::this_thread::sleep_for(100ms);
  conn = pool.acquire(endpoint_, 0, 1s);
  ASSERT_NE(conn, nullptr);
  pool.release(std::move(conn));
  // Idle for 100 ms in total, but only for an instant since the last release.
  EXPECT_NE(pool.acquire(endpoint_, 0, 80ms), nullptr);
}

TEST_F(UpstreamPoolTest, SweepClosesOnlyExpiredConnections) {
  UpstreamPool pool;
  pool.release(connect());
  pool.release(connect());
  std::this_thread::sleep_for(40ms);
  auto fresh = connect();
  UpstreamConnection* raw_fresh = fresh.get();
  pool.release(std::move(fresh));
  ASSERT_EQ(pool.idle_count(), 3u);
  pool.sweep(20ms);
  EXPECT_EQ(pool.idle_count(), 1u);
  EXPECT_EQ(pool.acquire(endpoint_, 0, 10s).get(), raw_fresh);

  // The swept connections were closed: the origin sees EOF on both.
  for (size_t i = 0; i < 2; ++i) {
    char byte;
    boost::system::error_code ec;
    origin_sides_[i].read_some(asio::buffer(&byte, 1), ec);
    EXPECT_EQ(ec, asio::error::eof) << i;
  }
}

TEST_F(UpstreamPoolTest, SweepWithLongBudgetKeepsEverything) {
  UpstreamPool pool;
  pool.release(connect());
  pool.release(connect());
  pool.sweep(10s);
  EXPECT_EQ(pool.idle_count(), 2u);
}

TEST_F(UpstreamPoolTest, IdleCapPerEndpoint) {
  UpstreamPool pool(2);
  pool.release(connect());
  pool.release(connect());
  pool.release(connect());  // over the cap: closed
  EXPECT_EQ(pool.idle_count(), 2u);
  char byte;
  boost::system::error_code ec;
  origin_sides_[2].read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(UpstreamPoolTest, AConnectionCarriesItsPoolsIdleCap) {
  UpstreamPool pool;
  for (int i = 0; i < 3; ++i) {
    auto c = connect();
    c->max_idle = 1;  // its pool keeps one idle connection per endpoint
    pool.release(std::move(c));
  }
  EXPECT_EQ(pool.idle_count(), 1u);
}

TEST_F(UpstreamPoolTest, ClearClosesEverything) {
  UpstreamPool pool;
  pool.release(connect());
  pool.release(connect());
  pool.clear();
  EXPECT_EQ(pool.idle_count(), 0u);
  EXPECT_EQ(pool.acquire(endpoint_, 0, 10s), nullptr);
}

// Pooled connections keep their read buffer: it is reused by the next response
// instead of being reallocated per request.
TEST_F(UpstreamPoolTest, ReleaseKeepsTheReadBufferForReuse) {
  UpstreamPool pool;
  auto conn = connect();
  conn->buffer.append("HTTP/1.1 200 OK\r\n\r\n");
  conn->buffer.consume(conn->buffer.size());
  ASSERT_GT(conn->buffer.capacity(), 0u);
  pool.release(std::move(conn));
  auto again = pool.acquire(endpoint_, 0, 10s);
  ASSERT_NE(again, nullptr);
  EXPECT_GT(again->buffer.capacity(), 0u);
  EXPECT_TRUE(again->buffer.empty());
}

}  // namespace
