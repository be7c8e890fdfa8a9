#include "http/h2_server_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

#include "http/h2_session_core.h"

namespace rampart::http {

std::string_view to_string(H2Flood flood) {
  switch (flood) {
    case H2Flood::kNone:
      return "none";
    case H2Flood::kRapidReset:
      return "rapid_reset";
    case H2Flood::kContinuation:
      return "continuation";
    case H2Flood::kSettings:
      return "settings";
    case H2Flood::kPing:
      return "ping";
    case H2Flood::kControl:
      return "control";
    case H2Flood::kEmptyFrames:
      return "empty_frames";
    case H2Flood::kHeaderList:
      return "header_list";
  }
  return "unknown";
}

namespace {

constexpr size_t kMaxSendHeaderBlock = 64 * 1024;
// Our encoder's HPACK table for response fields: memory per connection.
constexpr size_t kDeflateTableSize = 4096;

}  // namespace

struct H2ServerSession::Impl : H2SessionCore {
  using H2SessionCore::H2SessionCore;
};

H2ServerSession::H2ServerSession(const H2Limits& limits, H2ServerEvents& events)
    : impl_(std::make_unique<Impl>(limits, events)) {}

H2ServerSession::~H2ServerSession() = default;

bool H2ServerSession::start() {
  if (impl_->session != nullptr) return false;
  const H2Limits& l = impl_->limits;
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) return false;
  install_h2_callbacks(cb);

  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cb);
    return false;
  }
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_no_http_messaging(opt, 0);
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, kDeflateTableSize);
  nghttp2_option_set_max_send_header_block_length(opt, kMaxSendHeaderBlock);
  // nghttp2's own guards are backstops set above ours, so the connection ends with our
  // count and our code. Its reset limiter runs on its own clock, not the caller's, so it
  // is kept well clear of ours (our window lets through at most twice a limit at once).
  nghttp2_option_set_max_continuations(opt, size_t{l.max_continuation_frames} + 1);
  const uint32_t interval = std::max<uint32_t>(l.flood_interval_ms, 1);
  const uint64_t per_second =
      std::max<uint64_t>(1, uint64_t{l.max_resets_per_interval} * 1000 / interval);
  nghttp2_option_set_stream_reset_rate_limit(
      opt, std::max<uint64_t>(uint64_t{l.max_resets_per_interval} * 16, 1000), per_second * 4);
  nghttp2_option_set_max_outbound_ack(opt, size_t{l.max_control_frames_per_interval} * 2 + 2);

  // The callbacks see the core, not the wrapper.
  H2SessionCore* core = impl_.get();
  const int rv = nghttp2_session_server_new2(&impl_->session, cb, core, opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) {
    impl_->session = nullptr;
    return false;
  }
  return h2_submit_settings(impl_->session, l.initial_window_size, l.max_frame_size,
                            l.max_header_list_size, l.connection_window_size,
                            {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, l.max_concurrent_streams},
                             {NGHTTP2_SETTINGS_HEADER_TABLE_SIZE, l.header_table_size}});
}

bool H2ServerSession::receive(std::string_view bytes, int64_t now_ms) {
  Impl& s = *impl_;
  if (s.session == nullptr || s.failed) return false;
  s.guard.set_now(now_ms);
  const ssize_t rv = nghttp2_session_mem_recv(
      s.session, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0 && !s.failed) {
    if (rv == NGHTTP2_ERR_FLOODED) {
      s.flood(H2Flood::kControl);
    } else {
      s.protocol_failure(NGHTTP2_PROTOCOL_ERROR);
    }
  }
  if (s.failed || nghttp2_session_want_read(s.session) == 0) {
    // Not reading with streams still open, or with nobody having said goodbye, means
    // nghttp2 itself ended the connection for a connection error it detected.
    if (!s.failed && (!s.streams.empty() || (!s.going_away && !s.peer_goaway))) {
      s.failed = true;
      if (s.counters.flood == H2Flood::kNone) s.counters.protocol_error = true;
    }
    s.abandon_streams(s.counters.flood != H2Flood::kNone ? NGHTTP2_ENHANCE_YOUR_CALM
                                                         : NGHTTP2_PROTOCOL_ERROR);
    return false;
  }
  return true;
}

void H2ServerSession::collect_output(std::string& out, size_t max) {
  Impl& s = *impl_;
  if (s.session == nullptr) return;
  const size_t start = out.size();
  while (out.size() - start < max) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(s.session, &data);
    if (n <= 0) break;
    out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
}

bool H2ServerSession::want_write() const {
  return impl_->session != nullptr && nghttp2_session_want_write(impl_->session) != 0;
}

bool H2ServerSession::want_read() const {
  return impl_->session != nullptr && !impl_->failed &&
         nghttp2_session_want_read(impl_->session) != 0;
}

bool H2ServerSession::submit_head(int32_t stream_id, int status, std::span<const Header> headers,
                                  bool end_stream) {
  Impl& s = *impl_;
  H2SessionCore::Stream* st = s.find(stream_id);
  if (st == nullptr || !st->announced || st->responding || status < 100 || status > 999 ||
      status == 101) {
    return false;
  }
  char code[3];  // 100..999
  code[0] = static_cast<char>('0' + status / 100);
  code[1] = static_cast<char>('0' + status / 10 % 10);
  code[2] = static_cast<char>('0' + status % 10);
  std::vector<nghttp2_nv>& nva = s.scratch_nva;
  nva.clear();
  nva.push_back(h2_nv(":status", std::string_view(code, 3)));
  h2_prepare_nva(headers, s.scratch_names, nva);
  if (status < 200) {  // informational: the final head is still to come
    return nghttp2_submit_headers(s.session, NGHTTP2_FLAG_NONE, stream_id, nullptr, nva.data(),
                                  nva.size(), nullptr) >= 0;
  }
  st->responding = true;
  st->body_ended = end_stream;
  nghttp2_data_provider provider{};
  provider.read_callback = h2_read_body;
  return nghttp2_submit_response(s.session, stream_id, nva.data(), nva.size(),
                                 end_stream ? nullptr : &provider) == 0;
}

void H2ServerSession::send_data(int32_t stream_id, std::string_view data) {
  Impl& s = *impl_;
  H2SessionCore::Stream* st = s.find(stream_id);
  if (st == nullptr || !st->responding || st->body_ended || data.empty()) return;
  st->body.append(data);
  if (st->deferred) {
    st->deferred = false;
    nghttp2_session_resume_data(s.session, stream_id);
  }
}

void H2ServerSession::end_data(int32_t stream_id, std::span<const Header> trailers) {
  Impl& s = *impl_;
  H2SessionCore::Stream* st = s.find(stream_id);
  if (st == nullptr || !st->responding || st->body_ended) return;
  st->body_ended = true;
  std::vector<std::string_view> values;
  h2_prepare_fields(trailers, st->trailer_names, values);
  for (std::string_view v : values) st->trailer_values.emplace_back(v);
  if (st->deferred) {
    st->deferred = false;
    nghttp2_session_resume_data(s.session, stream_id);
  }
}

size_t H2ServerSession::queued(int32_t stream_id) const {
  const auto it = impl_->streams.find(stream_id);
  if (it == impl_->streams.end()) return 0;
  return it->second->body.size() - it->second->body_at;
}

void H2ServerSession::consume(int32_t stream_id, size_t n) {
  Impl& s = *impl_;
  H2SessionCore::Stream* st = s.find(stream_id);
  if (st == nullptr || n == 0) return;
  n = static_cast<size_t>(std::min<uint64_t>(n, st->unconsumed));
  if (n == 0) return;
  st->unconsumed -= n;
  nghttp2_session_consume(s.session, stream_id, n);
}

void H2ServerSession::reset_stream(int32_t stream_id, uint32_t error_code) {
  Impl& s = *impl_;
  H2SessionCore::Stream* st = s.find(stream_id);
  if (st == nullptr) return;
  st->reset_accounted = true;
  nghttp2_submit_rst_stream(s.session, NGHTTP2_FLAG_NONE, stream_id, error_code);
}

void H2ServerSession::shutdown() {
  if (impl_->session != nullptr) impl_->begin_graceful();
}

const H2Counters& H2ServerSession::counters() const {
  return impl_->counters;
}

}  // namespace rampart::http
