#include "http/h2_flood_guard.h"

namespace rampart::http {

namespace {

constexpr uint8_t kData = 0x0;
constexpr uint8_t kHeaders = 0x1;
constexpr uint8_t kRstStream = 0x3;
constexpr uint8_t kSettings = 0x4;
constexpr uint8_t kPing = 0x6;
constexpr uint8_t kContinuation = 0x9;
constexpr uint8_t kEndStream = 0x1;
constexpr uint8_t kEndHeaders = 0x4;
// Padding (at most 255 bytes and its length byte) is not header-list material.
constexpr size_t kPaddingSlack = 256;

}  // namespace

void H2FloodGuard::set_now(int64_t now_ms) {
  if (!started_ || now_ms < window_start_ || now_ms - window_start_ >= limits_.flood_interval_ms) {
    started_ = true;
    window_start_ = now_ms;
    resets_ = settings_ = pings_ = control_ = empty_ = rejected_lists_ = 0;
    data_frames_sent_ = 0;
  }
}

H2Flood H2FloodGuard::on_frame_header(uint8_t type, uint8_t flags, size_t length) {
  if (type == kHeaders) {
    continuations_ = 0;
    block_bytes_ = length;
  } else if (type == kContinuation) {
    ++continuations_;
    block_bytes_ += length;
    if (continuations_ > limits_.max_continuation_frames) return H2Flood::kContinuation;
  }
  if ((type == kHeaders || type == kContinuation) &&
      block_bytes_ > size_t{limits_.max_header_list_size} + kPaddingSlack) {
    return H2Flood::kContinuation;
  }

  const bool empty =
      length == 0 && (((type == kData || type == kHeaders) && (flags & kEndStream) == 0) ||
                      (type == kContinuation && (flags & kEndHeaders) == 0));
  if (empty && ++empty_ > limits_.max_empty_frames_per_interval) return H2Flood::kEmptyFrames;

  switch (type) {
    case kData:
    case kHeaders:
    case kContinuation:
      break;
    case kRstStream:
      ++resets_;
      break;
    case kSettings:
      if (++settings_ > limits_.max_control_frames_per_interval) return H2Flood::kSettings;
      break;
    case kPing:
      if (++pings_ > limits_.max_control_frames_per_interval) return H2Flood::kPing;
      break;
    default:  // PRIORITY, WINDOW_UPDATE, GOAWAY, PUSH_PROMISE and unknown extensions
      if (++control_ > limits_.max_control_frames_per_interval + 2 * data_frames_sent_) {
        return H2Flood::kControl;
      }
      break;
  }
  if (resets_ > limits_.max_resets_per_interval) return H2Flood::kRapidReset;
  return H2Flood::kNone;
}

H2Flood H2FloodGuard::on_rejected_header_list() {
  ++resets_;
  if (++rejected_lists_ > limits_.max_rejected_header_lists_per_interval) {
    return H2Flood::kHeaderList;
  }
  return H2Flood::kNone;
}

}  // namespace rampart::http
