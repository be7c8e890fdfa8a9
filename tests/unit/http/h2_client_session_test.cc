#include "http/h2_client_session.h"

#include <gtest/gtest.h>

#include <map>

#include "h2_test_util.h"
#include "http/h2_server_session.h"

namespace rampart::http {
namespace {

using testing::Fields;
using testing::Recorder;
namespace fr = testing::frames;

// What the client session announced, copied out of the callbacks.
struct ClientRecorder : H2ClientEvents {
  struct Resp {
    std::vector<int> statuses;  // interim ones first
    Fields headers;
    bool head_end_stream = false;
    std::string body;
    Fields trailers;
    int ends = 0;
    bool closed = false;
    uint32_t close_code = 0;
  };
  std::map<int32_t, Resp> resps;
  H2ClientSession* session = nullptr;
  bool consume_at_once = true;

  void on_response_head(int32_t id, int status, std::span<const Header> headers,
                        bool end_stream) override {
    Resp& r = resps[id];
    r.statuses.push_back(status);
    if (status >= 200) {
      for (const Header& h : headers) r.headers.emplace_back(h.name, h.value);
      r.head_end_stream = end_stream;
    }
  }
  void on_response_data(int32_t id, std::string_view data) override {
    resps[id].body.append(data);
    if (consume_at_once) session->consume(id, data.size());
  }
  void on_response_trailers(int32_t id, std::span<const Header> trailers) override {
    for (const Header& h : trailers) resps[id].trailers.emplace_back(h.name, h.value);
  }
  void on_response_end(int32_t id) override { ++resps[id].ends; }
  void on_stream_close(int32_t id, uint32_t code) override {
    resps[id].closed = true;
    resps[id].close_code = code;
  }
};

bool has(const Fields& f, std::string_view name, std::string_view value) {
  for (const auto& [n, v] : f) {
    if (n == name && v == value) return true;
  }
  return false;
}

// rampart's own server session as the origin, wired to the client in memory.
struct H2Client : ::testing::Test {
  void SetUp() override {
    rec.session = &client;
    ASSERT_TRUE(client.start());
    ASSERT_TRUE(server.start());
  }
  void exchange() {
    for (int round = 0; round < 10000; ++round) {
      std::string c2s, s2c;
      client.collect_output(c2s, 1 << 20);
      if (!c2s.empty()) server.receive(c2s, 0);
      server.collect_output(s2c, 1 << 20);
      if (!s2c.empty()) client_ok = client.receive(s2c, 0) && client_ok;
      if (c2s.empty() && s2c.empty()) return;
    }
  }
  H2ClientLimits limits;
  ClientRecorder rec;
  H2ClientSession client{limits, rec};
  H2Limits server_limits;
  Recorder origin;
  H2ServerSession server{server_limits, origin};
  bool client_ok = true;
};

TEST_F(H2Client, GetGetsHeadBodyAndEnd) {
  origin.on_req = [this](const H2Request& r) {
    const Header h[] = {{"content-type", "text/plain"}};
    server.submit_head(r.stream_id, 200, h, false);
    server.send_data(r.stream_id, "hello");
    server.end_data(r.stream_id);
  };
  const Header fields[] = {{"User-Agent", "t"}, {"Connection", "keep-alive"}, {"te", "trailers"}};
  const int32_t id = client.submit_request("GET", "http", "origin.test", "/a?b=1", fields, true);
  ASSERT_GT(id, 0);
  exchange();
  const Recorder::Req& q = origin.reqs[id];
  EXPECT_EQ(q.method, "GET");
  EXPECT_EQ(q.scheme, "http");
  EXPECT_EQ(q.authority, "origin.test");
  EXPECT_EQ(q.path, "/a?b=1");
  EXPECT_TRUE(has(q.headers, "user-agent", "t"));  // lowercased
  EXPECT_TRUE(has(q.headers, "te", "trailers"));
  EXPECT_FALSE(has(q.headers, "connection", "keep-alive"));  // connection-specific
  const auto& r = rec.resps[id];
  EXPECT_EQ(r.statuses, std::vector<int>{200});
  EXPECT_TRUE(has(r.headers, "content-type", "text/plain"));
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.ends, 1);
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.close_code, 0u);
  EXPECT_TRUE(client_ok);
  EXPECT_TRUE(client.can_submit());
}

TEST_F(H2Client, LargeBodiesBothWaysFollowTheWindows) {
  std::string up(600 * 1024, 'u');
  for (size_t i = 0; i < up.size(); ++i) up[i] = static_cast<char>('a' + i % 26);
  std::string down(900 * 1024, 'd');
  origin.on_data = [this](int32_t id, std::string_view d) { server.consume(id, d.size()); };
  int32_t id = client.submit_request("POST", "http", "o", "/up", {}, false);
  ASSERT_GT(id, 0);
  // Fed in pieces, as the session writes them; the rest waits for WINDOW_UPDATEs.
  for (size_t at = 0; at < up.size(); at += 100'000) {
    client.send_data(id, std::string_view(up).substr(at, 100'000));
    exchange();
  }
  client.end_data(id);
  exchange();
  EXPECT_EQ(client.queued(id), 0u);
  ASSERT_EQ(origin.reqs[id].ends, 1);
  EXPECT_EQ(origin.reqs[id].body, up);
  server.submit_head(id, 200, {}, false);
  server.send_data(id, down);
  server.end_data(id);
  exchange();
  EXPECT_EQ(rec.resps[id].body, down);
  EXPECT_EQ(rec.resps[id].ends, 1);
}

TEST_F(H2Client, UnconsumedBodyStopsAtTheStreamWindow) {
  rec.consume_at_once = false;
  const int32_t id = client.submit_request("GET", "http", "o", "/", {}, true);
  exchange();
  server.submit_head(id, 200, {}, false);
  server.send_data(id, std::string(1 << 20, 'x'));
  server.end_data(id);
  exchange();
  EXPECT_EQ(rec.resps[id].body.size(), limits.initial_window_size);
  EXPECT_EQ(rec.resps[id].ends, 0);
  client.consume(id, rec.resps[id].body.size());
  rec.consume_at_once = true;
  exchange();
  EXPECT_EQ(rec.resps[id].body.size(), size_t{1} << 20);
  EXPECT_EQ(rec.resps[id].ends, 1);
}

TEST_F(H2Client, TrailersAndTrailersOnly) {
  const int32_t a = client.submit_request("POST", "http", "o", "/a", {}, false);
  client.send_data(a, "req");
  client.end_data(a);
  const int32_t b = client.submit_request("POST", "http", "o", "/b", {}, true);
  exchange();
  EXPECT_EQ(origin.reqs[a].body, "req");
  const Header head[] = {{"content-type", "application/grpc"}};
  server.submit_head(a, 200, head, false);
  server.send_data(a, "msg");
  const Header trailers[] = {{"grpc-status", "0"}, {"grpc-message", "fine"}};
  server.end_data(a, trailers);
  // gRPC's error form: one HEADERS frame with END_STREAM, the status in it.
  const Header only[] = {{"content-type", "application/grpc"}, {"grpc-status", "5"}};
  server.submit_head(b, 200, only, true);
  exchange();
  EXPECT_EQ(rec.resps[a].body, "msg");
  EXPECT_TRUE(has(rec.resps[a].trailers, "grpc-status", "0"));
  EXPECT_TRUE(has(rec.resps[a].trailers, "grpc-message", "fine"));
  EXPECT_FALSE(rec.resps[a].head_end_stream);
  EXPECT_EQ(rec.resps[a].ends, 1);
  EXPECT_TRUE(rec.resps[b].head_end_stream);
  EXPECT_TRUE(has(rec.resps[b].headers, "grpc-status", "5"));
  EXPECT_TRUE(rec.resps[b].trailers.empty());
  EXPECT_EQ(rec.resps[b].ends, 1);
}

TEST_F(H2Client, InterimResponsesComeFirst) {
  const int32_t id = client.submit_request("GET", "http", "o", "/", {}, true);
  exchange();
  const Header hints[] = {{"link", "</s.css>; rel=preload"}};
  server.submit_head(id, 103, hints, false);
  server.submit_head(id, 204, {}, true);
  exchange();
  EXPECT_EQ(rec.resps[id].statuses, (std::vector<int>{103, 204}));
  EXPECT_TRUE(rec.resps[id].head_end_stream);
  EXPECT_EQ(rec.resps[id].ends, 1);
}

TEST_F(H2Client, GoawayLetsTheStreamInFlightFinishAndStopsNewOnes) {
  const int32_t id = client.submit_request("GET", "http", "o", "/", {}, true);
  exchange();
  server.shutdown();
  exchange();
  server.submit_head(id, 200, {}, false);
  server.send_data(id, "late");
  server.end_data(id);
  exchange();
  EXPECT_TRUE(client.goaway_received());
  EXPECT_FALSE(client.can_submit());
  EXPECT_EQ(client.submit_request("GET", "http", "o", "/2", {}, true), -1);
  EXPECT_EQ(rec.resps[id].body, "late");
  EXPECT_EQ(rec.resps[id].close_code, 0u);
  EXPECT_FALSE(client.failed());
}

// Raw frames from an origin: the client's preface and SETTINGS are taken as read.
struct H2ClientRaw : ::testing::Test {
  void SetUp() override {
    rec.session = &client;
    ASSERT_TRUE(client.start());
    std::string out;
    client.collect_output(out, 1 << 20);
    ASSERT_TRUE(client.receive(fr::frame(fr::kSettings, 0, 0, ""), 0));
    id = client.submit_request("GET", "http", "o", "/", {}, true);
    client.collect_output(out, 1 << 20);
    ASSERT_EQ(id, 1);
  }
  H2ClientLimits limits;
  ClientRecorder rec;
  H2ClientSession client{limits, rec};
  int32_t id = 0;
};

std::string goaway(uint32_t last_id, uint32_t code) {
  std::string p;
  for (uint32_t v : {last_id, code}) {
    for (int shift : {24, 16, 8, 0}) p.push_back(static_cast<char>((v >> shift) & 0xFF));
  }
  return fr::frame(fr::kGoaway, 0, 0, p);
}

TEST_F(H2ClientRaw, StreamBeyondGoawaysLastIdIsRefusedSafeToRetry) {
  EXPECT_TRUE(client.receive(goaway(0, 0), 0));
  EXPECT_TRUE(rec.resps[id].closed);
  EXPECT_EQ(rec.resps[id].close_code, uint32_t{NGHTTP2_REFUSED_STREAM});
  EXPECT_TRUE(rec.resps[id].statuses.empty());
  EXPECT_FALSE(client.can_submit());
}

TEST_F(H2ClientRaw, HeaderListOverTheLimitFailsTheStreamNotTheConnection) {
  Fields big = {{":status", "200"}, {"x-big", std::string(limits.max_header_list_size, 'a')}};
  std::string block = fr::hpack(big);
  // Split over HEADERS + CONTINUATION frames of the default maximum size.
  std::string frames;
  for (size_t at = 0; at < block.size(); at += 16384) {
    bool first = at == 0, last = at + 16384 >= block.size();
    frames += fr::frame(first ? fr::kHeaders : fr::kContinuation, last ? fr::kEndHeaders : 0,
                        static_cast<uint32_t>(id), block.substr(at, 16384));
  }
  EXPECT_TRUE(client.receive(frames, 0));
  std::string out;
  client.collect_output(out, 1 << 20);  // the RST_STREAM goes out, the stream closes
  EXPECT_TRUE(rec.resps[id].statuses.empty());
  EXPECT_TRUE(rec.resps[id].closed);
  EXPECT_NE(rec.resps[id].close_code, 0u);
  EXPECT_FALSE(client.failed());
}

TEST_F(H2ClientRaw, StatusBelow100FailsTheStream) {
  // Found by h2_client_fuzz: three digits pass nghttp2's check, "099" is still no status.
  const std::string block = fr::hpack({{":status", "099"}});
  EXPECT_TRUE(client.receive(
      fr::frame(fr::kHeaders, fr::kEndHeaders | fr::kEndStream, static_cast<uint32_t>(id), block),
      0));
  std::string out;
  client.collect_output(out, 1 << 20);
  EXPECT_TRUE(rec.resps[id].statuses.empty());
  EXPECT_TRUE(rec.resps[id].closed);
  EXPECT_NE(rec.resps[id].close_code, 0u);
}

TEST_F(H2ClientRaw, ConnectionErrorFailsTheConnectionAndClosesTheStream) {
  // DATA on stream 0 is a connection error (RFC 9113 §6.1).
  EXPECT_FALSE(client.receive(fr::frame(fr::kData, 0, 0, "x"), 0));
  EXPECT_TRUE(client.failed());
  EXPECT_FALSE(client.failure().empty());
  EXPECT_TRUE(rec.resps[id].closed);
  EXPECT_NE(rec.resps[id].close_code, 0u);
  EXPECT_FALSE(client.receive(fr::frame(fr::kSettings, 0, 0, ""), 0));
}

TEST_F(H2ClientRaw, FrameOverTheAdvertisedSizeFailsTheConnection) {
  EXPECT_FALSE(client.receive(fr::frame(fr::kData, 0, 1, std::string(20000, 'x')), 0));
  EXPECT_TRUE(client.failed());
  EXPECT_TRUE(rec.resps[id].closed);
  EXPECT_TRUE(rec.resps[id].body.empty());
}

TEST_F(H2ClientRaw, PingFloodEndsTheConnection) {
  std::string pings;
  for (uint32_t i = 0; i <= limits.max_control_frames_per_interval; ++i) {
    pings += fr::frame(fr::kPing, 0, 0, std::string(8, '\0'));
  }
  EXPECT_FALSE(client.receive(pings, 0));
  EXPECT_EQ(client.failure(), "flood: ping");
  EXPECT_TRUE(rec.resps[id].closed);
}

}  // namespace
}  // namespace rampart::http
