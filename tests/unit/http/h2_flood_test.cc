// Each protocol-level flood of recent years, sent as raw frames, must end the
// connection with GOAWAY(ENHANCE_YOUR_CALM) and name the flood; a client that stays
// under the limits must never be cut.

#include <gtest/gtest.h>

#include "h2_test_util.h"
#include "http/h2_server_session.h"

namespace rampart::http {
namespace {

using testing::Client;
using testing::Recorder;
namespace fr = testing::frames;

constexpr int64_t kCalm = NGHTTP2_ENHANCE_YOUR_CALM;

struct Flood : ::testing::Test {
  void SetUp() override {
    limits.max_resets_per_interval = 50;
    limits.max_control_frames_per_interval = 100;
    limits.max_empty_frames_per_interval = 50;
    limits.max_continuation_frames = 8;
    limits.max_header_list_size = 4096;
    limits.flood_interval_ms = 1000;
  }
  // Sends `in` after the preface, in one piece; returns what receive() said.
  bool send(std::string_view in, int64_t now_ms = 0) {
    if (!started) {
      server = std::make_unique<H2ServerSession>(limits, rec);
      EXPECT_TRUE(server->start());
      started = true;
      EXPECT_TRUE(server->receive(fr::preface(), now_ms));
    }
    const bool open = server->receive(in, now_ms);
    server->collect_output(out, 1 << 24);
    return open;
  }
  void expect_flood(H2Flood kind) {
    EXPECT_EQ(server->counters().flood, kind) << to_string(server->counters().flood);
    EXPECT_EQ(fr::goaway_code(out), kCalm);
    EXPECT_FALSE(server->want_read());
    EXPECT_FALSE(server->receive(fr::ping(), 0));
  }
  H2Limits limits;
  Recorder rec;
  std::unique_ptr<H2ServerSession> server;
  bool started = false;
  std::string out;
};

TEST_F(Flood, RapidReset) {
  std::string in;
  for (uint32_t id = 1; id < 400; id += 2) {
    in += fr::frame(fr::kHeaders, fr::kEndHeaders | fr::kEndStream, id, fr::hpack(fr::get()));
    in += fr::rst(id);
  }
  EXPECT_FALSE(send(in));
  expect_flood(H2Flood::kRapidReset);
  EXPECT_EQ(server->counters().resets_received, limits.max_resets_per_interval);
  EXPECT_LE(rec.reqs.size(), limits.max_resets_per_interval + 1u);
}

TEST_F(Flood, ResetsUnderTheRateAreServed) {
  // 40 cancelled streams a second for 20 seconds: below the limit of 50 per second.
  uint32_t id = 1;
  for (int64_t second = 0; second < 20; ++second) {
    std::string in;
    for (int i = 0; i < 40; ++i, id += 2) {
      in += fr::frame(fr::kHeaders, fr::kEndHeaders | fr::kEndStream, id, fr::hpack(fr::get()));
      in += fr::rst(id);
    }
    ASSERT_TRUE(send(in, second * 1000)) << "second " << second;
  }
  EXPECT_EQ(server->counters().flood, H2Flood::kNone);
  EXPECT_EQ(server->counters().resets_received, 800u);
  EXPECT_EQ(fr::goaway_code(out), -1);
}

TEST_F(Flood, ContinuationFrames) {
  const std::string block = fr::hpack(fr::get()) + fr::hpack({{"x-long", std::string(400, 'a')}});
  std::string in = fr::frame(fr::kHeaders, fr::kEndStream, 1, block.substr(0, 20));
  for (size_t at = 20; at < block.size(); at += 20) {
    in += fr::frame(fr::kContinuation, 0, 1, block.substr(at, 20));  // never END_HEADERS
  }
  EXPECT_FALSE(send(in));
  expect_flood(H2Flood::kContinuation);
  EXPECT_TRUE(rec.reqs.empty());
}

TEST_F(Flood, HeaderBlockPastTheListSize) {
  // Few frames, but together more bytes than the header list may have.
  std::string in = fr::frame(fr::kHeaders, fr::kEndStream, 1, fr::hpack(fr::get()));
  for (int i = 0; i < 4; ++i) in += fr::frame(fr::kContinuation, 0, 1, std::string(1500, 'a'));
  EXPECT_FALSE(send(in));
  expect_flood(H2Flood::kContinuation);
}

TEST_F(Flood, Settings) {
  std::string in;
  for (int i = 0; i < 200; ++i) in += fr::frame(fr::kSettings, 0, 0, "");
  EXPECT_FALSE(send(in));
  expect_flood(H2Flood::kSettings);
}

TEST_F(Flood, Ping) {
  std::string in;
  for (int i = 0; i < 200; ++i) in += fr::ping();
  EXPECT_FALSE(send(in));
  expect_flood(H2Flood::kPing);
}

TEST_F(Flood, PriorityAndWindowUpdates) {
  std::string in;
  const std::string priority("\0\0\0\0\x10", 5);
  const std::string increment("\0\0\0\x01", 4);
  for (int i = 0; i < 120; ++i) {
    in += fr::frame(fr::kPriority, 0, 3 + 2 * i, priority);
    in += fr::frame(fr::kWindowUpdate, 0, 0, increment);
  }
  EXPECT_FALSE(send(in));
  expect_flood(H2Flood::kControl);
}

TEST_F(Flood, EmptyDataFrames) {
  Recorder::Req* q = nullptr;
  std::string in = fr::frame(fr::kHeaders, fr::kEndHeaders, 1, fr::hpack(fr::get()));
  ASSERT_TRUE(send(in));
  q = &rec.reqs[1];
  in.clear();
  for (int i = 0; i < 100; ++i) in += fr::frame(fr::kData, 0, 1, "");
  EXPECT_FALSE(send(in));
  expect_flood(H2Flood::kEmptyFrames);
  EXPECT_TRUE(q->closed);
}

TEST_F(Flood, RepeatedOversizedHeaderLists) {
  limits.max_header_count = 5;
  std::string in;
  testing::Fields many = fr::get();
  for (int i = 0; i < 5; ++i) many.emplace_back("x-" + std::to_string(i), "v");
  for (uint32_t id = 1; id < 100; id += 2) {
    in += fr::frame(fr::kHeaders, fr::kEndHeaders | fr::kEndStream, id, fr::hpack(many));
  }
  EXPECT_FALSE(send(in));
  expect_flood(H2Flood::kHeaderList);
  EXPECT_EQ(server->counters().header_lists_too_large,
            limits.max_rejected_header_lists_per_interval + 1u);
  EXPECT_TRUE(rec.reqs.empty());
}

TEST_F(Flood, BusyWellBehavedClientIsNeverCut) {
  server = std::make_unique<H2ServerSession>(limits, rec);
  ASSERT_TRUE(server->start());
  const std::string body(200'000, 'r');
  rec.on_req = [&](const H2Request& r) {
    server->submit_head(r.stream_id, 200, {}, false);
    server->send_data(r.stream_id, body);
    server->end_data(r.stream_id);
  };
  rec.on_data = [&](int32_t id, std::string_view d) { server->consume(id, d.size()); };
  Client c(16384);  // small window: many WINDOW_UPDATEs from the client
  const std::string upload(50'000, 'u');
  for (int round = 0; round < 30; ++round) {
    std::vector<int32_t> ids;
    for (int i = 0; i < 10; ++i) {
      ids.push_back(i % 2 == 0 ? c.request("GET", "/r") : c.request("POST", "/u", {}, &upload));
    }
    nghttp2_submit_ping(c.session(), NGHTTP2_FLAG_NONE, nullptr);
    c.exchange(*server, round * 100);
    for (int32_t id : ids) ASSERT_EQ(c.resps[id].body.size(), body.size()) << "round " << round;
  }
  EXPECT_TRUE(c.server_open);
  EXPECT_FALSE(c.goaway);
  EXPECT_EQ(server->counters().flood, H2Flood::kNone);
  EXPECT_EQ(server->counters().streams, 300u);
}

}  // namespace
}  // namespace rampart::http
