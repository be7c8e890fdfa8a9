// Fuzzes the HTTP/2 server session with arbitrary client bytes (the preface included,
// so the seeds carry one), answering every request and consuming every body byte, and
// checks what the caller relies on: events arrive in order and never after a stream's
// close, a flood always ends in GOAWAY(ENHANCE_YOUR_CALM), and every request head the
// session announces either translates into an HTTP/1.1 head that rampart's own parser
// accepts, or is refused with a reason.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/h1_parser.h"
#include "http/h2_request_h1.h"
#include "http/h2_server_session.h"

namespace {

using namespace rampart::http;

enum class State : uint8_t { kOpen, kEnded, kClosed };

struct Events : H2ServerEvents {
  H2ServerSession* server = nullptr;
  std::map<int32_t, State> streams;
  bool answer_with_trailers = false;

  void on_request(const H2Request& r) override {
    FUZZ_CHECK(streams.count(r.stream_id) == 0);
    FUZZ_CHECK(r.stream_id > 0 && (r.stream_id & 1) == 1);
    streams[r.stream_id] = State::kOpen;
    FUZZ_CHECK(!r.method.empty());
    for (const Header& h : r.headers) {
      FUZZ_CHECK(!h.name.empty() && h.name.front() != ':');
      for (char c : h.name) FUZZ_CHECK(!(c >= 'A' && c <= 'Z'));
    }

    std::string head;
    const H2HeadTranslation t = translate_h2_request(r, head);
    if (t.ok) {
      ParserLimits big;
      big.max_request_line = 1 << 20;
      big.max_header_bytes = 1 << 20;
      big.max_header_count = 1 << 16;
      RequestHead parsed;
      const ParseResult p = parse_request_head(head, big, parsed);
      if (p.status != ParseStatus::kComplete) {
        std::fprintf(stderr, "rejected: %d %.*s\n%s\n", p.error.status,
                     static_cast<int>(p.error.reason.size()), p.error.reason.data(), head.c_str());
      }
      FUZZ_CHECK(p.status == ParseStatus::kComplete && p.consumed == head.size());
      FUZZ_CHECK(parsed.method == r.method);
      FUZZ_CHECK(iequals(parsed.host, r.authority) || r.authority.empty());
      if (r.content_length) FUZZ_CHECK(parsed.content_length == *r.content_length);
    } else {
      FUZZ_CHECK(head.empty() && t.status == 400 && !t.error.empty());
    }

    const Header fields[] = {{"Content-Type", "text/plain"}, {"Connection", "close"}};
    server->submit_head(r.stream_id, 200, fields, false);
    server->send_data(r.stream_id, "hello ");
    server->send_data(r.stream_id, std::string(r.stream_id % 3 == 0 ? 70000 : 10, 'x'));
    const Header trailers[] = {{"grpc-status", "0"}};
    if (answer_with_trailers) {
      server->end_data(r.stream_id, trailers);
    } else {
      server->end_data(r.stream_id);
    }
  }
  void on_request_data(int32_t id, std::string_view data) override {
    FUZZ_CHECK(streams.count(id) == 1 && streams[id] == State::kOpen);
    server->consume(id, data.size());
  }
  void on_request_end(int32_t id) override {
    FUZZ_CHECK(streams.count(id) == 1 && streams[id] == State::kOpen);
    streams[id] = State::kEnded;
  }
  void on_stream_close(int32_t id, uint32_t) override {
    FUZZ_CHECK(streams.count(id) == 1 && streams[id] != State::kClosed);
    streams[id] = State::kClosed;
    FUZZ_CHECK(server->queued(id) == 0);
  }
};

bool has_calm_goaway(std::string_view out) {
  bool found = false;
  while (out.size() >= 9) {
    const auto b = [&](size_t i) { return static_cast<uint8_t>(out[i]); };
    const size_t len = (size_t{b(0)} << 16) | (size_t{b(1)} << 8) | b(2);
    FUZZ_CHECK(out.size() >= 9 + len);  // the session only ever writes whole frames
    if (b(3) == 7 && len >= 8 && b(9 + 7) == 11 && b(9 + 4) == 0 && b(9 + 5) == 0 && b(9 + 6) == 0)
      found = true;
    out.remove_prefix(9 + len);
  }
  FUZZ_CHECK(out.empty());
  return found;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks limits and how the bytes are cut into reads.
  const uint8_t knobs = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  H2Limits limits;
  if ((knobs & 1) != 0) {
    limits.max_concurrent_streams = 4;
    limits.initial_window_size = 1000;
    limits.max_header_list_size = 600;
    limits.max_header_count = 8;
    limits.max_resets_per_interval = 5;
    limits.max_control_frames_per_interval = 20;
    limits.max_empty_frames_per_interval = 5;
    limits.max_continuation_frames = 3;
    limits.max_streams_per_connection = 6;
    limits.max_rejected_header_lists_per_interval = 3;
  }
  Events events;
  events.answer_with_trailers = (knobs & 2) != 0;
  H2ServerSession server(limits, events);
  events.server = &server;
  FUZZ_CHECK(server.start());
  const size_t piece = 1 + (knobs >> 2) * 7;
  std::string out;
  int64_t now = 0;
  bool open = true;
  while (!in.empty() && open) {
    const size_t n = std::min(piece, in.size());
    open = server.receive(in.substr(0, n), now);
    in.remove_prefix(n);
    now += 13;
    server.collect_output(out, 1 << 20);
  }
  server.collect_output(out, 1 << 24);
  if (!open) FUZZ_CHECK(!server.want_read());
  const bool calm = has_calm_goaway(out);
  if (server.counters().flood != H2Flood::kNone) FUZZ_CHECK(calm && !server.want_read());
  if ((knobs & 4) != 0) server.shutdown();
  server.collect_output(out, 1 << 24);
  return 0;
}
