#include "http/h2_server_session.h"

#include <gtest/gtest.h>

#include "h2_test_util.h"

namespace rampart::http {
namespace {

using testing::Client;
using testing::Fields;
using testing::Recorder;
namespace fr = testing::frames;

bool has(const Fields& f, std::string_view name, std::string_view value) {
  for (const auto& [n, v] : f) {
    if (n == name && v == value) return true;
  }
  return false;
}

bool has_name(const Fields& f, std::string_view name) {
  for (const auto& [n, v] : f) {
    if (n == name) return true;
  }
  return false;
}

struct Fixture : ::testing::Test {
  void SetUp() override { ASSERT_TRUE(server.start()); }
  // Answers every request at once: head, `body`, end.
  void answer_with(std::string body) {
    rec.on_req = [this, body](const H2Request& r) {
      const Header h[] = {{"Content-Type", "text/plain"}, {"Connection", "close"}};
      server.submit_head(r.stream_id, 200, h, false);
      server.send_data(r.stream_id, body);
      server.end_data(r.stream_id);
    };
  }
  H2Limits limits;
  Recorder rec;
  H2ServerSession server{limits, rec};
};

TEST_F(Fixture, GetGetsHeadAndBody) {
  answer_with("hello");
  Client c;
  const int32_t id =
      c.request("GET", "/a?b=1", {{"user-agent", "t"}, {"cookie", "a=1"}, {"cookie", "b=2"}});
  c.exchange(server);
  const Recorder::Req& q = rec.reqs[id];
  EXPECT_EQ(q.method, "GET");
  EXPECT_EQ(q.path, "/a?b=1");
  EXPECT_EQ(q.scheme, "https");
  EXPECT_EQ(q.authority, "example.com");
  EXPECT_TRUE(q.end_stream);
  EXPECT_EQ(q.ends, 1);
  EXPECT_TRUE(has(q.headers, "user-agent", "t"));
  EXPECT_TRUE(has(q.headers, "cookie", "a=1"));  // crumbs stay separate
  EXPECT_TRUE(has(q.headers, "cookie", "b=2"));
  EXPECT_FALSE(has_name(q.headers, ":path"));
  EXPECT_TRUE(q.closed);
  EXPECT_EQ(q.close_code, 0u);

  const Client::Resp& r = c.resps[id];
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello");
  EXPECT_TRUE(has(r.headers, "content-type", "text/plain"));
  EXPECT_FALSE(has_name(r.headers, "connection"));
  EXPECT_TRUE(r.closed);
  EXPECT_EQ(r.close_code, 0u);
  EXPECT_EQ(server.counters().streams, 1u);
  EXPECT_TRUE(server.want_read());
  EXPECT_FALSE(c.goaway);
}

TEST_F(Fixture, CallsForUnknownStreamsAreHarmless) {
  const Header h[] = {{"a", "b"}};
  EXPECT_FALSE(server.submit_head(7, 200, h, false));
  server.send_data(7, "x");
  server.end_data(7, h);
  server.consume(7, 10);
  server.reset_stream(7, 8);
  EXPECT_EQ(server.queued(7), 0u);
  std::string out;
  server.collect_output(out, 1 << 16);
  EXPECT_EQ(fr::goaway_code(out), -1);
  // A stream that is finished is just as unknown.
  answer_with("x");
  Client c;
  const int32_t id = c.request("GET", "/");
  c.exchange(server);
  EXPECT_FALSE(server.submit_head(id, 200, h, true));
  server.send_data(id, "more");
  EXPECT_EQ(server.queued(id), 0u);
}

TEST(H2Session, RequestBodyWaitsForConsume) {
  H2Limits limits;
  limits.initial_window_size = 16384;
  Recorder rec;
  H2ServerSession server(limits, rec);
  ASSERT_TRUE(server.start());
  Client c;
  c.exchange(server);  // settings first, so the client knows the small window
  const std::string body(100'000, 'b');
  const int32_t id = c.request("POST", "/up", {{"content-length", "100000"}}, &body);
  c.exchange(server);
  ASSERT_EQ(rec.reqs.count(id), 1u);
  EXPECT_FALSE(rec.reqs[id].end_stream);
  EXPECT_EQ(rec.reqs[id].content_length, 100000u);
  // Only the stream window's worth arrives while nothing is consumed...
  EXPECT_EQ(rec.reqs[id].body.size(), 16384u);
  c.exchange(server);
  EXPECT_EQ(rec.reqs[id].body.size(), 16384u);
  EXPECT_EQ(rec.reqs[id].ends, 0);
  // ...and each consume lets the client send more, up to the whole body.
  size_t consumed = 0;
  for (int i = 0; i < 50 && rec.reqs[id].ends == 0; ++i) {
    const size_t have = rec.reqs[id].body.size();
    server.consume(id, have - consumed);
    consumed = have;
    c.exchange(server);
  }
  EXPECT_EQ(rec.reqs[id].body, body);
  EXPECT_EQ(rec.reqs[id].ends, 1);
}

TEST_F(Fixture, LargeResponseFollowsTheClientWindow) {
  Client c(1000);  // a tiny stream window on the client side
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
  int32_t sid = 0;
  rec.on_req = [&](const H2Request& r) {
    sid = r.stream_id;
    server.submit_head(r.stream_id, 200, {}, false);
    server.send_data(r.stream_id, big);
    server.end_data(r.stream_id);
  };
  const int32_t id = c.request("GET", "/big");
  // One round: the request goes in, at most a window's worth comes out.
  std::string out;
  const uint8_t* p = nullptr;
  std::string req;
  for (ssize_t n; (n = nghttp2_session_mem_send(c.session(), &p)) > 0;)
    req.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  ASSERT_TRUE(server.receive(req, 0));
  server.collect_output(out, 1 << 22);
  EXPECT_GT(server.queued(sid), big.size() - 2000);
  nghttp2_session_mem_recv(c.session(), reinterpret_cast<const uint8_t*>(out.data()), out.size());
  c.exchange(server);
  EXPECT_EQ(c.resps[id].status, 200);
  EXPECT_EQ(c.resps[id].body, big);
  EXPECT_TRUE(c.resps[id].closed);
  EXPECT_EQ(server.queued(id), 0u);
}

TEST_F(Fixture, BodyInPiecesAndTrailers) {
  int32_t sid = 0;
  rec.on_req = [&](const H2Request& r) {
    sid = r.stream_id;
    const Header h[] = {{"Content-Type", "application/grpc"}, {"Transfer-Encoding", "chunked"}};
    server.submit_head(r.stream_id, 200, h, false);
  };
  Client c;
  const int32_t id = c.request("GET", "/t");
  c.exchange(server);
  EXPECT_EQ(c.resps[id].status, 200);
  EXPECT_FALSE(has_name(c.resps[id].headers, "transfer-encoding"));
  server.send_data(sid, "ab");
  EXPECT_EQ(server.queued(sid), 2u);
  c.exchange(server);
  EXPECT_EQ(server.queued(sid), 0u);
  EXPECT_EQ(c.resps[id].body, "ab");
  EXPECT_FALSE(c.resps[id].closed);
  server.send_data(sid, "cd");
  const Header trailers[] = {{"Grpc-Status", "0"}, {"Connection", "x"}};
  server.end_data(sid, trailers);
  c.exchange(server);
  EXPECT_EQ(c.resps[id].body, "abcd");
  EXPECT_TRUE(has(c.resps[id].trailers, "grpc-status", "0"));
  EXPECT_FALSE(has_name(c.resps[id].trailers, "connection"));
  EXPECT_TRUE(c.resps[id].closed);
  EXPECT_EQ(c.resps[id].close_code, 0u);
}

TEST(H2Session, StreamsBeyondTheConcurrencyLimitAreRefused) {
  H2Limits limits;
  limits.max_concurrent_streams = 4;
  Recorder rec;  // never answers, so every stream stays open
  H2ServerSession server(limits, rec);
  ASSERT_TRUE(server.start());
  std::string in = fr::preface();
  for (uint32_t id = 1; id <= 9; id += 2) {
    in += fr::frame(fr::kHeaders, fr::kEndHeaders | fr::kEndStream, id,
                    fr::hpack(fr::get("/" + std::to_string(id))));
  }
  ASSERT_TRUE(server.receive(in, 0));
  std::string out;
  server.collect_output(out, 1 << 16);
  EXPECT_EQ(rec.order, (std::vector<int32_t>{1, 3, 5, 7}));
  bool refused = false;
  for (const auto& f : fr::parse(out)) {
    if (f.type == fr::kRst && f.stream == 9) refused = f.payload == std::string("\0\0\0\7", 4);
  }
  EXPECT_TRUE(refused);
  EXPECT_EQ(fr::goaway_code(out), -1);
}

TEST(H2Session, HeaderListOverTheLimitGets431) {
  H2Limits limits;
  limits.max_header_count = 10;
  limits.max_header_list_size = 2000;
  Recorder rec;
  H2ServerSession server(limits, rec);
  ASSERT_TRUE(server.start());
  Client c;
  Fields many;
  for (int i = 0; i < 12; ++i) many.emplace_back("x-" + std::to_string(i), "v");
  const int32_t a = c.request("GET", "/many", many);
  // Under the byte limit on the wire (HPACK reuses the first one), over it decoded.
  const std::string v(700, 'v');
  const int32_t b = c.request("GET", "/one", {{"x-big", v}});
  const int32_t d = c.request("GET", "/three", {{"x-big", v}, {"x-big", v}, {"x-big", v}});
  c.exchange(server);
  EXPECT_EQ(c.resps[a].status, 431);
  EXPECT_EQ(c.resps[d].status, 431);
  EXPECT_EQ(rec.reqs.count(a), 0u);
  EXPECT_EQ(rec.reqs.count(d), 0u);
  EXPECT_EQ(rec.reqs.count(b), 1u);
  EXPECT_EQ(server.counters().header_lists_too_large, 2u);
  EXPECT_FALSE(c.goaway);
  EXPECT_TRUE(server.want_read());
}

TEST(H2Session, RequestTrailersAreDropped) {
  Recorder rec;
  H2ServerSession server(H2Limits{}, rec);
  ASSERT_TRUE(server.start());
  Fields post = fr::get("/p");
  post[0].second = "POST";
  std::string in = fr::preface();
  in += fr::frame(fr::kHeaders, fr::kEndHeaders, 1, fr::hpack(post));
  in += fr::frame(fr::kData, 0, 1, "abc");
  in += fr::frame(fr::kHeaders, fr::kEndHeaders | fr::kEndStream, 1,
                  fr::hpack({{"x-checksum", "123"}}));
  ASSERT_TRUE(server.receive(in, 0));
  const Recorder::Req& q = rec.reqs[1];
  EXPECT_EQ(q.body, "abc");
  EXPECT_EQ(q.ends, 1);
  EXPECT_FALSE(q.end_stream);
  EXPECT_FALSE(has_name(q.headers, "x-checksum"));
}

TEST(H2Session, ShutdownLetsStreamsInFlightFinish) {
  Recorder rec;
  H2ServerSession server(H2Limits{}, rec);
  ASSERT_TRUE(server.start());
  Client c;
  const int32_t id = c.request("GET", "/slow");
  c.exchange(server);
  ASSERT_EQ(rec.reqs.count(id), 1u);
  server.shutdown();
  c.exchange(server);
  EXPECT_TRUE(c.goaway);
  EXPECT_EQ(c.goaways, 2);  // the notice, then after a round trip the real one
  EXPECT_EQ(c.goaway_code, 0u);
  EXPECT_EQ(c.goaway_last_id, id);
  EXPECT_TRUE(server.want_read());  // the stream in flight is still being served
  server.submit_head(id, 204, {}, true);
  c.exchange(server);
  EXPECT_EQ(c.resps[id].status, 204);
  EXPECT_FALSE(server.want_read());
  EXPECT_FALSE(server.want_write());
  EXPECT_EQ(server.counters().flood, H2Flood::kNone);
  EXPECT_FALSE(server.counters().protocol_error);
}

TEST(H2Session, MaxStreamsPerConnectionEndsGracefully) {
  H2Limits limits;
  limits.max_streams_per_connection = 2;
  Recorder rec;
  H2ServerSession server(limits, rec);
  ASSERT_TRUE(server.start());
  rec.on_req = [&](const H2Request& r) { server.submit_head(r.stream_id, 204, {}, true); };
  Client c;
  const int32_t a = c.request("GET", "/1");
  const int32_t b = c.request("GET", "/2");
  const int32_t d = c.request("GET", "/3");
  c.exchange(server);
  EXPECT_EQ(c.resps[a].status, 204);
  EXPECT_EQ(c.resps[b].status, 204);
  EXPECT_NE(c.resps[d].status, 204);
  EXPECT_EQ(rec.reqs.count(d), 0u);
  EXPECT_TRUE(c.goaway);
  EXPECT_EQ(c.goaway_code, 0u);
  EXPECT_EQ(c.goaway_last_id, b);
  EXPECT_FALSE(server.want_read());
  EXPECT_EQ(server.counters().flood, H2Flood::kNone);
}

TEST(H2Session, BadPrefaceIsAProtocolError) {
  Recorder rec;
  H2ServerSession server(H2Limits{}, rec);
  ASSERT_TRUE(server.start());
  EXPECT_FALSE(server.receive("GET / HTTP/1.1\r\nhost: a\r\n\r\n", 0));
  EXPECT_FALSE(server.want_read());
  std::string out;
  server.collect_output(out, 1 << 16);
  EXPECT_EQ(fr::goaway_code(out), NGHTTP2_PROTOCOL_ERROR);
  EXPECT_TRUE(server.counters().protocol_error);
  EXPECT_FALSE(server.receive(fr::preface(), 0));
}

TEST(H2Session, ClientResetEndsTheStream) {
  Recorder rec;
  H2ServerSession server(H2Limits{}, rec);
  ASSERT_TRUE(server.start());
  std::string in = fr::preface();
  in += fr::frame(fr::kHeaders, fr::kEndHeaders | fr::kEndStream, 1, fr::hpack(fr::get()));
  in += fr::rst(1, NGHTTP2_CANCEL);
  ASSERT_TRUE(server.receive(in, 0));
  EXPECT_TRUE(rec.reqs[1].closed);
  EXPECT_EQ(rec.reqs[1].close_code, static_cast<uint32_t>(NGHTTP2_CANCEL));
  EXPECT_EQ(server.counters().resets_received, 1u);
  EXPECT_FALSE(server.submit_head(1, 200, {}, true));
}

TEST(H2Session, ConnectionErrorClosesOpenStreams) {
  Recorder rec;
  H2ServerSession server(H2Limits{}, rec);
  ASSERT_TRUE(server.start());
  std::string in = fr::preface();
  in += fr::frame(fr::kHeaders, fr::kEndHeaders, 1, fr::hpack(fr::get()));
  ASSERT_TRUE(server.receive(in, 0));
  ASSERT_FALSE(rec.reqs[1].closed);
  // A PING on a stream is a connection error (RFC 9113 §6.7) that nghttp2 finds itself:
  // final once the GOAWAY has been collected.
  server.receive(fr::frame(fr::kPing, 0, 1, std::string(8, 'p')), 0);
  std::string out;
  server.collect_output(out, 1 << 16);
  EXPECT_EQ(fr::goaway_code(out), NGHTTP2_PROTOCOL_ERROR);
  EXPECT_TRUE(server.counters().protocol_error);
  EXPECT_TRUE(rec.reqs[1].closed);
  EXPECT_EQ(rec.reqs[1].close_code, static_cast<uint32_t>(NGHTTP2_PROTOCOL_ERROR));
  EXPECT_FALSE(server.want_read());
  EXPECT_FALSE(server.receive(fr::ping(), 0));
}

TEST(H2Session, ClientGoawayIsNotAnError) {
  Recorder rec;
  H2ServerSession server(H2Limits{}, rec);
  ASSERT_TRUE(server.start());
  std::string in = fr::preface();
  in += fr::frame(fr::kGoaway, 0, 0, std::string(8, '\0'));
  EXPECT_FALSE(server.receive(in, 0));
  EXPECT_FALSE(server.counters().protocol_error);
}

}  // namespace
}  // namespace rampart::http
