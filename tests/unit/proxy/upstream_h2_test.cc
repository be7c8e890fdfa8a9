// UpstreamH2 against a real loopback HTTP/2 origin (rampart's own server codec on a
// blocking socket thread): the HTTP/1.1 the session writes becomes one stream, and
// what comes back reads as HTTP/1.1 — chunked with the origin's trailers, a
// Content-Length body as sent, a trailers-only answer with `content-length: 0`, HEAD
// without a body — over one connection for several requests, until a GOAWAY.

#include "proxy/upstream_h2.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <map>
#include <string>
#include <thread>

#include "http/h1_parser.h"
#include "http/h2_server_session.h"
#include "proxy/origin_pool.h"

namespace rampart::proxy {
namespace {

namespace asio = boost::asio;

// Answers by path once the request ended; remembers what each request carried.
struct OriginEvents : http::H2ServerEvents {
  http::H2ServerSession* server = nullptr;
  struct Seen {
    std::string method, authority, path, body;
    std::map<std::string, std::string> headers;
  };
  std::map<int32_t, Seen> seen;
  std::vector<Seen> done;
  bool goaway_after_next = false;

  void on_request(const http::H2Request& r) override {
    Seen& s = seen[r.stream_id];
    s.method = r.method;
    s.authority = r.authority;
    s.path = r.path;
    for (const http::Header& h : r.headers) s.headers[std::string(h.name)] = h.value;
    if (r.end_stream) answer(r.stream_id);
  }
  void on_request_data(int32_t id, std::string_view d) override {
    seen[id].body.append(d);
    server->consume(id, d.size());
  }
  void on_request_end(int32_t id) override {
    if (seen.count(id) == 1 && !seen[id].path.empty()) answer(id);
  }
  void on_stream_close(int32_t, uint32_t) override {}

  void answer(int32_t id) {
    Seen s = seen[id];
    seen[id].path.clear();  // answered once
    done.push_back(s);
    if (s.path == "/length") {
      const http::Header h[] = {{"content-length", "5"}};
      server->submit_head(id, 200, h, false);
      server->send_data(id, "hello");
      server->end_data(id);
    } else if (s.path == "/only") {
      const http::Header h[] = {{"grpc-status", "5"}, {"grpc-message", "missing"}};
      server->submit_head(id, 200, h, true);
    } else if (s.path == "/echo") {
      const std::string len = std::to_string(s.body.size());
      const http::Header h[] = {{"content-length", len}};
      server->submit_head(id, 200, h, false);
      server->send_data(id, s.body);
      server->end_data(id);
    } else {
      const http::Header h[] = {{"x-kind", "chunked"}};
      server->submit_head(id, 200, h, false);
      server->send_data(id, "abc");
      server->send_data(id, "defg");
      const http::Header trailers[] = {{"grpc-status", "0"}};
      server->end_data(id, trailers);
    }
    if (goaway_after_next) server->shutdown();
  }
};

class Origin {
 public:
  Origin() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 8);
    thread_ = std::thread([this] { serve(); });
  }
  ~Origin() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  OriginEvents events;
  std::atomic<int> accepted{0};

 private:
  void serve() {
    for (;;) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      ++accepted;
      http::H2Limits limits;
      http::H2ServerSession server(limits, events);
      events.server = &server;
      server.start();
      char buf[16384];
      for (;;) {
        std::string out;
        server.collect_output(out, 1 << 20);
        if (!out.empty() && ::send(c, out.data(), out.size(), MSG_NOSIGNAL) < 0) break;
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0 || !server.receive(std::string_view(buf, static_cast<size_t>(n)), 0)) break;
      }
      ::close(c);
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
};

// Writes `request` and reads one whole HTTP/1.1 response, as the session would.
asio::awaitable<std::string> exchange(UpstreamIo& io, std::string request,
                                      std::string_view method = "GET") {
  auto [wec, wn] = co_await io.write(std::string_view(request));
  if (wec) co_return "write error: " + wec.message();
  std::string in;
  char buf[4096];
  for (;;) {
    http::ResponseHead head;
    http::ParseResult r = http::parse_response_head(in, method, {}, head);
    if (r.status == http::ParseStatus::kComplete) {
      std::string_view rest = std::string_view(in).substr(r.consumed);
      if (head.body == http::BodyKind::kNone) co_return in;
      if (head.body == http::BodyKind::kContentLength && rest.size() >= head.content_length) {
        co_return in;
      }
      if (head.body == http::BodyKind::kChunked) {
        http::ChunkedDecoder d;
        size_t used = 0;
        while (used < rest.size()) {
          auto step = d.feed(rest.substr(used));
          used += step.consumed;
          if (step.status != http::ParseStatus::kIncomplete || step.consumed == 0) break;
        }
        if (d.done()) co_return in;
      }
    }
    auto [ec, n] = co_await io.read_some(asio::buffer(buf));
    if (ec) co_return in + "<read error: " + ec.message() + ">";
    in.append(buf, n);
  }
}

struct UpstreamH2Test : ::testing::Test {
  OriginEndpoint endpoint() {
    OriginEndpoint e;
    e.name = "127.0.0.1:" + std::to_string(origin.port());
    e.host = "127.0.0.1";
    e.address = asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), origin.port());
    return e;
  }
  // Runs `body` on a fresh io_context to completion.
  template <typename F>
  void run(F body) {
    asio::io_context io;
    asio::co_spawn(io, body(io), asio::detached);
    io.run();
  }
  Origin origin;
};

TEST_F(UpstreamH2Test, RequestsAndResponsesTranslateBothWays) {
  std::vector<std::string> got;
  bool usable_between = false;
  run([&](asio::io_context& ctx) -> asio::awaitable<void> {
    UpstreamIo io{core::Socket(ctx.get_executor())};
    ConnectResult c = co_await io.connect(endpoint(), nullptr, true);
    EXPECT_TRUE(c.ok());
    EXPECT_EQ(io.transport(), kH2cTransport);
    got.push_back(co_await exchange(
        io, "GET /chunks?x=1 HTTP/1.1\r\nHost: o.test\r\nConnection: keep-alive\r\n\r\n"));
    usable_between = io.idle_usable();
    got.push_back(co_await exchange(io, "GET /length HTTP/1.1\r\nHost: o.test\r\n\r\n"));
    got.push_back(co_await exchange(io, "GET /only HTTP/1.1\r\nHost: o.test\r\n\r\n"));
    got.push_back(co_await exchange(io, "HEAD /length HTTP/1.1\r\nHost: o.test\r\n\r\n", "HEAD"));
    got.push_back(co_await exchange(
        io, "POST /echo HTTP/1.1\r\nHost: o.test\r\nContent-Length: 11\r\n\r\nhello world"));
    got.push_back(co_await exchange(io,
                                    "POST /echo HTTP/1.1\r\nHost: o.test\r\nTransfer-Encoding: "
                                    "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"));
  });
  ASSERT_EQ(got.size(), 6u);
  // One DATA frame (the origin framed both writes together), one chunk.
  EXPECT_EQ(got[0],
            "HTTP/1.1 200 OK\r\nx-kind: chunked\r\ntransfer-encoding: chunked\r\n\r\n"
            "7\r\nabcdefg\r\n0\r\ngrpc-status: 0\r\n\r\n");
  EXPECT_TRUE(usable_between);
  EXPECT_EQ(got[1], "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
  EXPECT_EQ(got[2],
            "HTTP/1.1 200 OK\r\ngrpc-status: 5\r\ngrpc-message: missing\r\ncontent-length: "
            "0\r\n\r\n");
  EXPECT_EQ(got[3].find("HTTP/1.1 200 OK\r\n"), 0u) << got[3];
  EXPECT_EQ(got[3].substr(got[3].size() - 4), "\r\n\r\n");  // a head and nothing after
  EXPECT_NE(got[4].find("\r\n\r\nhello world"), std::string::npos) << got[4];
  EXPECT_NE(got[5].find("\r\n\r\nabcde"), std::string::npos) << got[5];
  EXPECT_EQ(origin.accepted.load(), 1);  // six streams, one connection
  ASSERT_EQ(origin.events.done.size(), 6u);
  const auto& first = origin.events.done[0];
  EXPECT_EQ(first.authority, "o.test");
  EXPECT_EQ(first.path, "/chunks?x=1");
  EXPECT_EQ(first.headers.count("connection"), 0u);
  EXPECT_EQ(first.headers.count("host"), 0u);
  EXPECT_EQ(first.headers.at("te"), "trailers");
  EXPECT_EQ(origin.events.done[4].body, "hello world");
  EXPECT_EQ(origin.events.done[5].body, "abcde");
}

TEST_F(UpstreamH2Test, AfterGoawayTheConnectionIsNotReused) {
  origin.events.goaway_after_next = true;
  std::string first;
  bool usable = true;
  std::string second;
  run([&](asio::io_context& ctx) -> asio::awaitable<void> {
    UpstreamIo io{core::Socket(ctx.get_executor())};
    co_await io.connect(endpoint(), nullptr, true);
    first = co_await exchange(io, "GET /length HTTP/1.1\r\nHost: o.test\r\n\r\n");
    // Let the GOAWAY that followed the answer arrive.
    asio::steady_timer t(ctx, std::chrono::milliseconds(50));
    co_await t.async_wait(asio::use_awaitable);
    usable = io.idle_usable();
    second = co_await exchange(io, "GET /length HTTP/1.1\r\nHost: o.test\r\n\r\n");
  });
  EXPECT_EQ(first, "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello");
  EXPECT_FALSE(usable);
  // Nothing is sent on it: a session would retry on a fresh connection.
  EXPECT_EQ(second.rfind("write error", 0), 0u) << second;
  EXPECT_EQ(origin.events.done.size(), 1u);
}

TEST_F(UpstreamH2Test, UpgradeRequestsAreRefusedBeforeAnythingIsSent) {
  std::string got;
  run([&](asio::io_context& ctx) -> asio::awaitable<void> {
    UpstreamIo io{core::Socket(ctx.get_executor())};
    co_await io.connect(endpoint(), nullptr, true);
    got = co_await exchange(io,
                            "GET /ws HTTP/1.1\r\nHost: o.test\r\nConnection: upgrade\r\n"
                            "Upgrade: websocket\r\n\r\n");
  });
  EXPECT_EQ(got.rfind("write error", 0), 0u) << got;
  EXPECT_TRUE(origin.events.done.empty());
}

}  // namespace
}  // namespace rampart::proxy
