#pragma once
// The server side of one HTTP/2 connection (RFC 9113), over nghttp2, as a pure codec:
// bytes from the client go in through receive(), frames for the client come out of
// collect_output(), and requests are announced to an H2ServerEvents. No sockets, no
// clocks of its own (the caller passes the time), so it can be fuzzed and unit tested.
//
// Hardened against the protocol-level floods of recent years: each is counted and, past
// its limit, answered with GOAWAY (ENHANCE_YOUR_CALM) after which receive() returns false.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http/message.h"

namespace rampart::http {

struct H2Limits {
  uint32_t max_concurrent_streams = 128;
  uint32_t initial_window_size = 256 * 1024;      // per stream, for request bodies
  uint32_t connection_window_size = 1024 * 1024;  // whole connection, request bodies
  uint32_t max_header_list_size = 32768;          // decoded field bytes of one request
  uint32_t max_header_count = 100;                // fields in one request
  uint32_t header_table_size = 4096;              // HPACK dynamic table the client may use
  uint32_t max_frame_size = 16384;
  // Flood limits, counted over `flood_interval_ms`; past one → GOAWAY and close.
  uint32_t flood_interval_ms = 10'000;
  uint32_t max_resets_per_interval = 200;           // Rapid Reset (CVE-2023-44487)
  uint32_t max_control_frames_per_interval = 1000;  // SETTINGS, PING, PRIORITY, WINDOW_UPDATE
  uint32_t max_empty_frames_per_interval = 200;     // DATA/HEADERS/CONTINUATION without payload
  uint32_t max_continuation_frames = 32;            // CONTINUATION frames in one header block
  uint32_t max_rejected_header_lists_per_interval = 20;  // requests refused 431-like
  // Streams one connection may open (0 = unlimited); then a graceful GOAWAY, as
  // max_requests_per_connection does for HTTP/1.1. Also ends stream-id exhaustion.
  uint32_t max_streams_per_connection = 0;
};

enum class H2Flood : uint8_t {
  kNone,
  kRapidReset,
  kContinuation,
  kSettings,
  kPing,
  kControl,
  kEmptyFrames,
  kHeaderList,
};
std::string_view to_string(H2Flood flood);

// What happened on one connection, for metrics.
struct H2Counters {
  uint64_t streams = 0;          // streams opened by the client
  uint64_t resets_received = 0;  // RST_STREAM from the client
  uint64_t resets_sent = 0;      // streams rampart reset (client errors, limits)
  uint64_t header_lists_too_large = 0;
  H2Flood flood = H2Flood::kNone;  // the flood that closed the connection, if any
  bool protocol_error = false;     // closed for a protocol error (not a flood)
};

// One request head, complete and checked (pseudo-header rules of RFC 9113 §8.3). Views
// are valid only during the on_request call.
struct H2Request {
  int32_t stream_id = 0;
  std::string_view method;
  std::string_view scheme;          // empty for CONNECT
  std::string_view authority;       // :authority, else the Host field; may be empty
  std::string_view path;            // empty for CONNECT
  std::span<const Header> headers;  // regular fields, names lowercase, in arrival order
  std::optional<uint64_t> content_length;
  bool end_stream = false;  // no body follows
  // Every regular field's name is a lowercase token and its value field content with no
  // whitespace at either end (RFC 9113 §8.2.1): nghttp2 checks this before rampart sees
  // a field (with HTTP messaging on, as H2ServerSession runs it), so consumers need not
  // check again. False for requests built any other way.
  bool fields_checked = false;
};

class H2ServerEvents {
 public:
  virtual ~H2ServerEvents() = default;
  virtual void on_request(const H2Request& request) = 0;
  // Request body bytes, valid during the call. The window opens again only when the
  // caller reports them used with H2ServerSession::consume (back-pressure).
  virtual void on_request_data(int32_t stream_id, std::string_view data) = 0;
  // The request body ended (END_STREAM; trailers, if any, are dropped).
  virtual void on_request_end(int32_t stream_id) = 0;
  // The stream is gone: finished, reset by the client or by rampart. No call follows
  // for it; `error_code` is the RST_STREAM code (0 when it finished normally).
  virtual void on_stream_close(int32_t stream_id, uint32_t error_code) = 0;
};

class H2ServerSession {
 public:
  H2ServerSession(const H2Limits& limits, H2ServerEvents& events);
  ~H2ServerSession();
  H2ServerSession(const H2ServerSession&) = delete;
  H2ServerSession& operator=(const H2ServerSession&) = delete;

  // Queues the server's SETTINGS. Called once, before the first receive().
  bool start();
  // Feeds bytes from the client (beginning with its connection preface). false: the
  // connection must close once the output (holding a GOAWAY) is flushed.
  bool receive(std::string_view bytes, int64_t now_ms);
  // Appends frames ready for the client to `out`, about `max` bytes at most.
  void collect_output(std::string& out, size_t max);
  bool want_write() const;
  bool want_read() const;

  // The response to a stream that on_request announced. Connection-specific fields
  // (Connection, Keep-Alive, Transfer-Encoding, Upgrade, Proxy-Connection) are dropped
  // and names lowercased here.
  bool submit_head(int32_t stream_id, int status, std::span<const Header> headers, bool end_stream);
  // Queues body bytes (copied); they go out as flow control allows.
  void send_data(int32_t stream_id, std::string_view data);
  // Ends the body, with trailers when given.
  void end_data(int32_t stream_id, std::span<const Header> trailers = {});
  // Body bytes queued for the stream and not yet framed; writers wait while it is high.
  size_t queued(int32_t stream_id) const;
  void consume(int32_t stream_id, size_t n);
  void reset_stream(int32_t stream_id, uint32_t error_code);
  // Graceful close: GOAWAY with the last stream id; streams in flight finish.
  void shutdown();
  const H2Counters& counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// RFC 9113 §3.4: the bytes every HTTP/2 client sends first.
inline constexpr std::string_view kH2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

}  // namespace rampart::http
