#pragma once
// Per-connection flood accounting for the HTTP/2 server session: every frame header the
// client sends is counted here before nghttp2 buffers its payload, so a flood is caught
// by its frame count, not after its bytes have been decoded.

#include <cstddef>
#include <cstdint>

#include "http/h2_server_session.h"

namespace rampart::http {

class H2FloodGuard {
 public:
  explicit H2FloodGuard(const H2Limits& limits) : limits_(limits) {}

  // Moves the counting window forward; counts start again every flood_interval_ms.
  void set_now(int64_t now_ms);
  // One received frame header (RFC 9113 §4.1). Returns the flood it crosses, or kNone.
  H2Flood on_frame_header(uint8_t type, uint8_t flags, size_t length);
  // A stream rampart reset because of what the client sent: such resets cost the
  // client as much as its own RST_STREAM (else a client provokes them instead).
  void on_reset_provoked() { ++resets_; }
  // A request whose header list was over a limit.
  H2Flood on_rejected_header_list();
  // Each DATA frame sent earns the client two WINDOW_UPDATEs (stream and connection) in
  // the control budget, so a large download is never mistaken for a flood.
  void on_data_frame_sent() { ++data_frames_sent_; }

 private:
  const H2Limits limits_;
  int64_t window_start_ = 0;
  bool started_ = false;
  uint32_t resets_ = 0;
  uint32_t settings_ = 0;
  uint32_t pings_ = 0;
  uint32_t control_ = 0;
  uint32_t empty_ = 0;
  uint32_t rejected_lists_ = 0;
  uint64_t data_frames_sent_ = 0;
  // The header block being received (HEADERS then CONTINUATION until END_HEADERS).
  uint32_t continuations_ = 0;
  size_t block_bytes_ = 0;
};

}  // namespace rampart::http
