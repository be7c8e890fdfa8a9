// The request-body hook end to end: a real Server with a test module that asks for the
// body, a loopback origin recording what reached it, HTTP/1.1 and HTTP/2 clients.

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/log.h"
#include "pipeline/pipeline.h"
#include "server/server.h"
#include "unit/server/loopback_harness.h"

namespace {

using rampart::pipeline::Module;
using rampart::pipeline::Outcome;
using rampart::pipeline::Phase;
using rampart::pipeline::RequestContext;
using rampart::test::closed_by_peer;
using rampart::test::connect_loopback;
using rampart::test::H2Client;
using rampart::test::read_response;
using rampart::test::RecordingOrigin;
using rampart::test::send_all;

struct Seen {
  std::string body;
  bool truncated = false;
};

// Shared by the workers: what the probe asks for and what it was shown.
struct ProbeState {
  std::mutex mutex;
  size_t limit = 16;
  std::vector<Seen> seen;

  void set_limit(size_t n) {
    std::lock_guard lock(mutex);
    limit = n;
  }
  std::vector<Seen> calls() {
    std::lock_guard lock(mutex);
    return seen;
  }
};

// Asks for `limit` bytes of every request's body; answers 403 when they hold "evil".
class ProbeModule final : public Module {
 public:
  explicit ProbeModule(ProbeState& state) : state_(state) {}
  std::string_view name() const override { return "body_probe"; }
  Phase phase() const override { return Phase::kWaf; }
  Outcome on_request(RequestContext&) const override { return Outcome::kContinue; }
  size_t request_body_limit(const RequestContext&) const override {
    std::lock_guard lock(state_.mutex);
    return state_.limit;
  }
  Outcome on_request_body(RequestContext& ctx, std::string_view body,
                          bool truncated) const override {
    {
      std::lock_guard lock(state_.mutex);
      state_.seen.push_back({std::string(body), truncated});
    }
    if (body.find("evil") == std::string_view::npos) return Outcome::kContinue;
    ctx.local_response.status = 403;
    ctx.local_response.reason = "body_blocked";
    return Outcome::kRespond;
  }

 private:
  ProbeState& state_;
};

class RequestBodyInspectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    rampart::core::set_log_level(rampart::core::LogLevel::kOff);
    registry_.add({Phase::kWaf, "body_probe",
                   [this](const rampart::config::Config&,
                          std::vector<rampart::config::Diagnostic>&) -> std::unique_ptr<Module> {
                     return std::make_unique<ProbeModule>(probe_);
                   }});
    port_ = rampart::test::free_port();
    std::string yaml =
        "version: t1\nworkers: 1\naccess_log:\n  path: off\nlisteners:\n  - name: main\n    "
        "address: 127.0.0.1:" +
        std::to_string(port_) +
        "\ntimeouts:\n  body_read: 2s\nsites:\n  - name: main\n    default: true\n"
        "    hosts: [main.test]\n    origin:\n      endpoints: [\"127.0.0.1:" +
        std::to_string(origin_.port()) + "\"]\n";
    auto loaded = rampart::config::load_string(yaml, "test.yaml");
    ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].to_string());
    server_ = std::make_unique<rampart::server::Server>(loaded.config, registry_);
    std::vector<std::string> errors;
    ASSERT_TRUE(server_->start(errors)) << (errors.empty() ? "" : errors[0]);
  }

  void TearDown() override {
    if (server_) server_->drain_and_stop();
    server_.reset();
  }

  static std::string post(std::string_view body, std::string_view extra = {}) {
    return "POST /form HTTP/1.1\r\nHost: main.test\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(body);
  }
  static std::string chunked_post(std::string_view chunks) {
    return "POST /form HTTP/1.1\r\nHost: main.test\r\nTransfer-Encoding: chunked\r\n\r\n" +
           std::string(chunks);
  }
  static constexpr std::string_view kGet = "GET /page HTTP/1.1\r\nHost: main.test\r\n\r\n";

  ProbeState probe_;
  rampart::pipeline::ModuleRegistry registry_;
  RecordingOrigin origin_;
  uint16_t port_ = 0;
  std::unique_ptr<rampart::server::Server> server_;
};

TEST_F(RequestBodyInspectTest, ContentLengthBodyWithEvilIsBlockedBeforeTheOrigin) {
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), post("q=evil&x=1")));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(origin_.requests().empty());
  ASSERT_EQ(probe_.calls().size(), 1u);
  EXPECT_EQ(probe_.calls()[0].body, "q=evil&x=1");
  EXPECT_FALSE(probe_.calls()[0].truncated);
  // The whole body was read, so the connection serves the next request.
  EXPECT_FALSE(r->closes);
  ASSERT_TRUE(send_all(fd.get(), kGet));
  auto next = read_response(fd.get(), pending, "GET");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
}

TEST_F(RequestBodyInspectTest, CleanContentLengthBodyReachesTheOriginIntact) {
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), post("name=alice")));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok:10");
  ASSERT_EQ(origin_.requests().size(), 1u);
  EXPECT_EQ(origin_.requests()[0].body, "name=alice");
  EXPECT_EQ(probe_.calls()[0].body, "name=alice");
}

TEST_F(RequestBodyInspectTest, LongBodyInSeveralWritesIsInspectedUpToTheLimitAndForwardedWhole) {
  std::string body;
  for (int i = 0; body.size() < 200'000; ++i) body += std::to_string(i) + ",";
  std::string request = post(body);
  size_t head_end = request.find("\r\n\r\n") + 4;
  auto fd = connect_loopback(port_);
  // The head alone first, then the body in pieces, so it is read after the head.
  ASSERT_TRUE(send_all(fd.get(), std::string_view(request).substr(0, head_end)));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (size_t at = head_end; at < request.size(); at += 7000) {
    ASSERT_TRUE(send_all(fd.get(), std::string_view(request).substr(at, 7000)));
  }
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(origin_.requests().size(), 1u);
  EXPECT_EQ(origin_.requests()[0].body, body);
  ASSERT_EQ(probe_.calls().size(), 1u);
  EXPECT_EQ(probe_.calls()[0].body, body.substr(0, 16));
  EXPECT_TRUE(probe_.calls()[0].truncated);
}

TEST_F(RequestBodyInspectTest, EvilPastTheLimitIsNotSeen) {
  std::string body = std::string(40, 'a') + "evil";
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), post(body)));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(origin_.requests().at(0).body, body);
}

TEST_F(RequestBodyInspectTest, TruncatedBodyBlockedClosesTheConnection) {
  // 16 bytes seen, the rest never read: the answer closes the connection rather than
  // take the unread body for the next request.
  std::string body = "evil" + std::string(100'000, 'z');
  std::string request = post(body);
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), std::string_view(request).substr(0, request.size() - 50'000)));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_TRUE(r->closes);
  EXPECT_TRUE(closed_by_peer(fd.get()));
  EXPECT_TRUE(origin_.requests().empty());
}

TEST_F(RequestBodyInspectTest, ChunkedBodyPassesThroughIntactAndKeepsChunking) {
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), chunked_post("5\r\nhello\r\n7;ext=1\r\n, world\r\n"
                                              "14\r\n and a longer tail!!\r\n0\r\n\r\n")));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(origin_.requests().size(), 1u);
  EXPECT_TRUE(origin_.requests()[0].chunked);
  EXPECT_EQ(origin_.requests()[0].body, "hello, world and a longer tail!!");
  ASSERT_EQ(probe_.calls().size(), 1u);
  EXPECT_EQ(probe_.calls()[0].body, "hello, world and");
  EXPECT_TRUE(probe_.calls()[0].truncated);
}

TEST_F(RequestBodyInspectTest, ChunkedBodyWithEvilIsBlockedAndTheConnectionGoesOn) {
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), chunked_post("2\r\nev\r\n")));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // "ev" + "il" across chunks and writes; a pipelined GET follows the body at once.
  ASSERT_TRUE(send_all(fd.get(), "2\r\nil\r\n0\r\n\r\n" + std::string(kGet)));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 403);
  EXPECT_FALSE(r->closes);
  auto next = read_response(fd.get(), pending, "GET");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  ASSERT_EQ(origin_.requests().size(), 1u);
  EXPECT_EQ(origin_.requests()[0].method, "GET");
}

TEST_F(RequestBodyInspectTest, ChunkedBodyOfExactlyTheLimitIsNotTruncated) {
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), chunked_post("10\r\n0123456789abcdef\r\n0\r\n\r\n")));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(probe_.calls().size(), 1u);
  EXPECT_EQ(probe_.calls()[0].body, "0123456789abcdef");
  EXPECT_FALSE(probe_.calls()[0].truncated);
  EXPECT_EQ(origin_.requests().at(0).body, "0123456789abcdef");
}

TEST_F(RequestBodyInspectTest, ChunkFramingBeyondItsShareCutsTheInspectionNotTheBody) {
  // One body byte per chunk with a padded size line: 21 wire bytes per body byte, more
  // than rampart holds for the limit, so the modules get less than they asked for and
  // are told so; the origin still gets every byte.
  probe_.set_limit(6000);
  std::string chunks;
  std::string body;
  for (int i = 0; i < 8000; ++i) {
    char c = static_cast<char>('a' + i % 26);
    body += c;
    chunks += "0000000000000001\r\n";
    chunks += c;
    chunks += "\r\n";
  }
  chunks += "0\r\n\r\n";
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), chunked_post(chunks)));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(probe_.calls().size(), 1u);
  Seen seen = probe_.calls()[0];
  EXPECT_TRUE(seen.truncated);
  EXPECT_LT(seen.body.size(), 6000u);
  EXPECT_GT(seen.body.size(), 4000u);
  EXPECT_EQ(seen.body, body.substr(0, seen.body.size()));
  ASSERT_EQ(origin_.requests().size(), 1u);
  EXPECT_EQ(origin_.requests()[0].body, body);
}

TEST_F(RequestBodyInspectTest, PipelinedRequestAfterAForwardedChunkedBodyIsItsOwn) {
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), chunked_post("4\r\ndata\r\n0\r\n\r\n") + std::string(kGet)));
  std::string pending;
  auto first = read_response(fd.get(), pending);
  auto second = read_response(fd.get(), pending, "GET");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(second->status, 200);
  auto requests = origin_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, "data");
  EXPECT_EQ(requests[1].method, "GET");
  EXPECT_EQ(requests[1].body, "");
}

TEST_F(RequestBodyInspectTest, BrokenChunkedBodyIsRefusedBeforeTheOrigin) {
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), chunked_post("zz\r\nhello\r\n0\r\n\r\n")));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_TRUE(r->closes);
  EXPECT_TRUE(origin_.requests().empty());
  EXPECT_TRUE(probe_.calls().empty());
}

TEST_F(RequestBodyInspectTest, RequestWithoutBodyIsInspectedWithAnEmptyOne) {
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), kGet));
  std::string pending;
  auto r = read_response(fd.get(), pending, "GET");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_EQ(probe_.calls().size(), 1u);
  EXPECT_EQ(probe_.calls()[0].body, "");
  EXPECT_FALSE(probe_.calls()[0].truncated);
}

TEST_F(RequestBodyInspectTest, ExpectContinueGetsOneInterimAnswer) {
  std::string request = post("name=bob", "Expect: 100-continue\r\n");
  size_t head_end = request.find("\r\n\r\n") + 4;
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), std::string_view(request).substr(0, head_end)));
  std::string pending;
  ASSERT_TRUE(rampart::test::recv_some(fd.get(), pending));
  EXPECT_TRUE(pending.starts_with("HTTP/1.1 100 Continue\r\n\r\n"));
  ASSERT_TRUE(send_all(fd.get(), std::string_view(request).substr(head_end)));
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->interim_count, 1);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(origin_.requests().at(0).body, "name=bob");
}

TEST_F(RequestBodyInspectTest, NoModuleAskingLeavesTheBodyAlone) {
  probe_.set_limit(0);
  auto fd = connect_loopback(port_);
  ASSERT_TRUE(send_all(fd.get(), post("q=evil")));
  std::string pending;
  auto r = read_response(fd.get(), pending);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(probe_.calls().empty());
  EXPECT_EQ(origin_.requests().at(0).body, "q=evil");
}

TEST_F(RequestBodyInspectTest, Http2BodiesAreInspectedLikeHttp1Ones) {
  H2Client client(port_);
  auto blocked = client.request("POST", "/form", "q=evil");
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 403);
  EXPECT_TRUE(origin_.requests().empty());

  std::string body(30'000, 'b');
  auto passed = client.request("POST", "/form", body);
  ASSERT_TRUE(passed);
  EXPECT_EQ(passed->status, 200);
  ASSERT_EQ(origin_.requests().size(), 1u);
  EXPECT_EQ(origin_.requests()[0].body, body);

  auto get = client.request("GET", "/page", std::nullopt);
  ASSERT_TRUE(get);
  EXPECT_EQ(get->status, 200);
  auto calls = probe_.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].body, "q=evil");
  EXPECT_EQ(calls[1].body, std::string(16, 'b'));
  EXPECT_TRUE(calls[1].truncated);
  EXPECT_EQ(calls[2].body, "");
}

TEST_F(RequestBodyInspectTest, Http2StreamBlockedMidBodyLeavesTheConnectionUsable) {
  // The body is far larger than the limit and the stream's window: the stream ends with
  // the 403 and its unread body; the connection's other streams are unaffected.
  H2Client client(port_);
  auto blocked = client.request("POST", "/form", "evil" + std::string(300'000, 'z'));
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->status, 403);
  auto next = client.request("POST", "/form", "fine");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  ASSERT_EQ(origin_.requests().size(), 1u);
  EXPECT_EQ(origin_.requests()[0].body, "fine");
}

}  // namespace
