#pragma once
// The client side of one HTTP/2 connection to an origin (RFC 9113), over nghttp2, as a
// pure codec like H2ServerSession: bytes from the origin go in through receive(),
// frames for it come out of collect_output(), and responses are announced to an
// H2ClientEvents. No sockets and no clocks of its own, so it is fuzzed and unit tested
// in memory.
//
// An origin is trusted more than a client, but not blindly: response header lists are
// bounded, the receive windows are ours to open (consume()), and floods of control or
// empty frames end the connection as they do on the server side.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "http/message.h"

namespace rampart::http {

struct H2ClientLimits {
  uint32_t initial_window_size = 256 * 1024;      // per stream, for response bodies
  uint32_t connection_window_size = 1024 * 1024;  // whole connection
  uint32_t max_header_list_size = 65536;          // decoded bytes of one head or trailers
  uint32_t max_header_count = 200;                // fields in one head or trailers
  uint32_t max_frame_size = 16384;
  // Flood limits, counted over `flood_interval_ms`; past one the connection fails.
  uint32_t flood_interval_ms = 10'000;
  uint32_t max_control_frames_per_interval = 1000;  // SETTINGS, PING, WINDOW_UPDATE, ...
  uint32_t max_empty_frames_per_interval = 1000;    // DATA/HEADERS without payload
  uint32_t max_continuation_frames = 32;
};

class H2ClientEvents {
 public:
  virtual ~H2ClientEvents() = default;
  // A response head: interim ones (1xx) first, if any, then the final one. Names are
  // lowercase; views are valid during the call. `end_stream`: no body and no trailers
  // follow (a trailers-only response, as gRPC errors are).
  virtual void on_response_head(int32_t stream_id, int status, std::span<const Header> headers,
                                bool end_stream) = 0;
  // Body bytes, valid during the call. The window opens again when the caller reports
  // them used with H2ClientSession::consume.
  virtual void on_response_data(int32_t stream_id, std::string_view data) = 0;
  // The trailer section (the response ends with it).
  virtual void on_response_trailers(int32_t stream_id, std::span<const Header> trailers) = 0;
  // The response ended normally (END_STREAM from the origin).
  virtual void on_response_end(int32_t stream_id) = 0;
  // The stream is gone. `error_code` is 0 when it finished, else the RST_STREAM code
  // (REFUSED_STREAM also for a stream a GOAWAY left unprocessed: safe to retry).
  virtual void on_stream_close(int32_t stream_id, uint32_t error_code) = 0;
};

class H2ClientSession {
 public:
  H2ClientSession(const H2ClientLimits& limits, H2ClientEvents& events);
  ~H2ClientSession();
  H2ClientSession(const H2ClientSession&) = delete;
  H2ClientSession& operator=(const H2ClientSession&) = delete;

  // Queues the connection preface and our SETTINGS. Called once, first.
  bool start();
  // Feeds bytes from the origin. false: the connection is broken (protocol error, flood);
  // every open stream has been closed with an error first.
  bool receive(std::string_view bytes, int64_t now_ms);
  // Appends frames ready for the origin to `out`, about `max` bytes at most.
  void collect_output(std::string& out, size_t max);
  bool want_write() const;

  // Opens a stream with a request. `headers` must not hold pseudo-fields; names are
  // lowercased and connection-specific fields dropped here. Returns the stream id, or
  // -1 when no new stream may be opened (failed, GOAWAY received, ids exhausted).
  int32_t submit_request(std::string_view method, std::string_view scheme,
                         std::string_view authority, std::string_view path,
                         std::span<const Header> headers, bool end_stream);
  // Queues request body bytes (copied); they go out as the origin's window allows.
  void send_data(int32_t stream_id, std::string_view data);
  // Ends the request body (END_STREAM on the last DATA frame).
  void end_data(int32_t stream_id);
  // Body bytes queued for the stream and not yet framed.
  size_t queued(int32_t stream_id) const;
  // Response body bytes the caller has used: their window opens again.
  void consume(int32_t stream_id, size_t n);
  void reset_stream(int32_t stream_id, uint32_t error_code);

  // New streams are possible: not failed, no GOAWAY received, ids left.
  bool can_submit() const;
  bool failed() const;
  bool goaway_received() const;
  // Why the connection failed, for the log ("protocol error", "flood: ping", ...).
  std::string_view failure() const;

  // The state the nghttp2 callbacks share with the methods; opaque.
  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rampart::http
