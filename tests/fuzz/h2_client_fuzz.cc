// Fuzzes the HTTP/2 client session (rampart to an origin) with arbitrary origin bytes,
// after a request was submitted (with or without a body), consuming every body byte,
// and checks what UpstreamH2 relies on: per stream, interim heads come before the final
// one, body and trailers only after it, the end at most once and nothing after the
// close; a failed session stays failed and says why; output is always whole frames.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/h2_client_session.h"

namespace {

using namespace rampart::http;

struct StreamState {
  bool final_head = false;
  bool trailers = false;
  bool ended = false;
  bool closed = false;
};

struct Events : H2ClientEvents {
  H2ClientSession* client = nullptr;
  std::map<int32_t, StreamState> streams;

  StreamState& open(int32_t id) {
    FUZZ_CHECK(streams.count(id) == 1);
    StreamState& s = streams[id];
    FUZZ_CHECK(!s.closed && !s.ended);
    return s;
  }
  void on_response_head(int32_t id, int status, std::span<const Header> headers,
                        bool end_stream) override {
    StreamState& s = open(id);
    FUZZ_CHECK(!s.final_head);
    FUZZ_CHECK(status >= 100 && status <= 999);
    if (status >= 200) s.final_head = true;
    FUZZ_CHECK(!end_stream || s.final_head);
    for (const Header& h : headers) FUZZ_CHECK(!h.name.empty() && h.name.front() != ':');
  }
  void on_response_data(int32_t id, std::string_view data) override {
    StreamState& s = open(id);
    FUZZ_CHECK(s.final_head && !s.trailers);
    client->consume(id, data.size());
  }
  void on_response_trailers(int32_t id, std::span<const Header> trailers) override {
    StreamState& s = open(id);
    FUZZ_CHECK(s.final_head && !s.trailers);
    s.trailers = true;
    for (const Header& h : trailers) FUZZ_CHECK(!h.name.empty() && h.name.front() != ':');
  }
  void on_response_end(int32_t id) override {
    StreamState& s = open(id);
    FUZZ_CHECK(s.final_head);
    s.ended = true;
  }
  void on_stream_close(int32_t id, uint32_t) override {
    FUZZ_CHECK(streams.count(id) == 1 && !streams[id].closed);
    streams[id].closed = true;
  }
};

void check_whole_frames(std::string_view out) {
  while (out.size() >= 9) {
    const auto b = [&](size_t i) { return static_cast<uint8_t>(out[i]); };
    const size_t len = (size_t{b(0)} << 16) | (size_t{b(1)} << 8) | b(2);
    FUZZ_CHECK(out.size() >= 9 + len);
    out.remove_prefix(9 + len);
  }
  FUZZ_CHECK(out.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  // The first byte picks limits, the request, and how the bytes are cut into reads.
  const uint8_t knobs = data[0];
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  H2ClientLimits limits;
  if ((knobs & 1) != 0) {
    limits.initial_window_size = 1000;
    limits.connection_window_size = 1000;
    limits.max_header_list_size = 300;
    limits.max_header_count = 6;
    limits.max_control_frames_per_interval = 10;
    limits.max_empty_frames_per_interval = 4;
    limits.max_continuation_frames = 2;
  }
  Events events;
  H2ClientSession client(limits, events);
  events.client = &client;
  FUZZ_CHECK(client.start());
  const bool body = (knobs & 2) != 0;
  const Header fields[] = {{"content-type", "application/grpc"}, {"te", "trailers"}};
  const int32_t id =
      client.submit_request(body ? "POST" : "GET", "http", "origin.test", "/svc/M", fields, !body);
  FUZZ_CHECK(id == 1);
  events.streams[id] = StreamState{};
  if (body) {
    client.send_data(id, std::string(70000, 'b'));
    client.end_data(id);
  }
  std::string out;
  client.collect_output(out, 1 << 20);
  FUZZ_CHECK(out.size() >= 24 && out.compare(0, 24, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == 0);
  out.erase(0, 24);
  const size_t piece = 1 + (knobs >> 2) * 7;
  int64_t now = 0;
  bool open = true;
  while (!in.empty() && open) {
    const size_t n = std::min(piece, in.size());
    open = client.receive(in.substr(0, n), now);
    in.remove_prefix(n);
    now += 13;
    client.collect_output(out, 1 << 20);
    // A second request once the first is done, as a pooled connection would carry.
    if (open && events.streams[id].closed && events.streams.size() == 1 && client.can_submit()) {
      const int32_t next = client.submit_request("GET", "http", "origin.test", "/2", {}, true);
      FUZZ_CHECK(next == 3);
      events.streams[next] = StreamState{};
    }
  }
  client.collect_output(out, 1 << 24);
  check_whole_frames(out);
  if (!open) {
    FUZZ_CHECK(client.failed() && !client.failure().empty() && !client.can_submit());
    FUZZ_CHECK(!client.receive("x", now));
    for (const auto& [sid, s] : events.streams) FUZZ_CHECK(s.closed);
  }
  return 0;
}
