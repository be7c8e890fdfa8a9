#include "http/h2_client_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "http/h2_flood_guard.h"
#include "http/h2_session_core.h"

namespace rampart::http {

namespace {

// Per field, as RFC 9113 §6.5.2 counts a header list.
constexpr size_t kFieldOverhead = 32;
constexpr size_t kMaxSendHeaderBlock = 64 * 1024;
constexpr size_t kDeflateTableSize = 4096;
// Output serialized during receive(): control frames and what the window lets out.
constexpr size_t kMaxPending = 64 * 1024;

// The server session's guard, with the limits an origin gets.
H2Limits guard_limits(const H2ClientLimits& l) {
  H2Limits g;
  g.flood_interval_ms = l.flood_interval_ms;
  g.max_control_frames_per_interval = l.max_control_frames_per_interval;
  g.max_empty_frames_per_interval = l.max_empty_frames_per_interval;
  g.max_continuation_frames = l.max_continuation_frames;
  g.max_header_list_size = l.max_header_list_size;
  // One request at a time: the origin resetting it is not a flood worth a separate limit.
  g.max_resets_per_interval = l.max_control_frames_per_interval;
  return g;
}

}  // namespace

struct H2ClientSession::Impl {
  struct Stream {
    // The head (or trailers) being received: names and values in one arena.
    std::string arena;
    std::vector<std::pair<size_t, size_t>> name_at, value_at;  // offset, length
    size_t list_bytes = 0;
    int status = 0;
    bool final_seen = false;  // the final (non-1xx) head arrived; next HEADERS are trailers
    // The request body: bytes not yet framed are body[body_at..].
    std::string body;
    size_t body_at = 0;
    bool body_ended = false;
    bool deferred = false;
  };

  Impl(const H2ClientLimits& l, H2ClientEvents& e) : limits(l), events(e), guard(guard_limits(l)) {}
  ~Impl() {
    if (session != nullptr) nghttp2_session_del(session);
  }

  Stream* find(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second.get();
  }

  int fail(std::string_view why) {
    if (!failed) {
      failed = true;
      reason = std::string(why);
      nghttp2_session_terminate_session(session, NGHTTP2_PROTOCOL_ERROR);
    }
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }

  // A broken connection closes what nghttp2 still holds, each stream once.
  void abandon_streams() {
    std::vector<int32_t> ids;
    for (const auto& [id, st] : streams) ids.push_back(id);
    streams.clear();
    std::sort(ids.begin(), ids.end());
    for (int32_t id : ids) events.on_stream_close(id, NGHTTP2_PROTOCOL_ERROR);
  }

  void fields(const Stream& s, std::vector<Header>& out) const {
    out.clear();
    for (size_t i = 0; i < s.name_at.size(); ++i) {
      std::string_view a(s.arena);
      out.push_back(Header{a.substr(s.name_at[i].first, s.name_at[i].second),
                           a.substr(s.value_at[i].first, s.value_at[i].second)});
    }
  }

  H2ClientLimits limits;
  H2ClientEvents& events;
  H2FloodGuard guard;
  nghttp2_session* session = nullptr;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams;
  std::vector<Header> scratch;
  // submit_request's field list, reused for every request head.
  std::string scratch_names;
  std::vector<nghttp2_nv> scratch_nva;
  bool failed = false;
  bool goaway = false;
  std::string reason;
  // Frames nghttp2 produced while receiving (serialized there so a GOAWAY it queued
  // for an error it found is seen at once), handed out first by collect_output.
  std::string pending;

  void serialize(std::string& out, size_t max) {
    while (out.size() < max) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session, &data);
      if (n <= 0) {
        if (n < 0 && !failed) {
          failed = true;
          reason = nghttp2_strerror(static_cast<int>(n));
          abandon_streams();
        }
        return;
      }
      out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
  }
};

namespace {

using Impl = H2ClientSession::Impl;

Impl& core(void* user_data) {
  return *static_cast<Impl*>(user_data);
}

int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* ud) {
  Impl& s = core(ud);
  H2Flood flood = s.guard.on_frame_header(hd->type, hd->flags, hd->length);
  if (flood != H2Flood::kNone) return s.fail("flood: " + std::string(to_string(flood)));
  return 0;
}

int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  Impl& s = core(ud);
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (Impl::Stream* st = s.find(frame->hd.stream_id)) {
    st->arena.clear();
    st->name_at.clear();
    st->value_at.clear();
    st->list_bytes = 0;
  }
  return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
              const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
  Impl& s = core(ud);
  Impl::Stream* st = s.find(frame->hd.stream_id);
  if (st == nullptr) return 0;
  st->list_bytes += namelen + valuelen + kFieldOverhead;
  if (st->list_bytes > s.limits.max_header_list_size ||
      st->name_at.size() >= s.limits.max_header_count) {
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;  // resets the stream: the response fails
  }
  std::string_view n(reinterpret_cast<const char*>(name), namelen);
  std::string_view v(reinterpret_cast<const char*>(value), valuelen);
  if (n == ":status") {
    int status = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), status);
    // Three digits, as nghttp2 checked, but "099" is not a status either (RFC 9110 §15).
    if (ec != std::errc() || p != v.data() + v.size() || status < 100) {
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    }
    st->status = status;
    return 0;
  }
  if (!n.empty() && n.front() == ':') return 0;  // nghttp2 already refused unknown ones
  st->name_at.emplace_back(st->arena.size(), n.size());
  st->arena.append(n);
  st->value_at.emplace_back(st->arena.size(), v.size());
  st->arena.append(v);
  return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  Impl& s = core(ud);
  const int32_t id = frame->hd.stream_id;
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Impl::Stream* st = s.find(id);
      if (st == nullptr) return 0;
      s.fields(*st, s.scratch);
      if (!st->final_seen) {
        if (st->status >= 200) st->final_seen = true;
        s.events.on_response_head(id, st->status, s.scratch, end_stream && st->final_seen);
      } else {
        s.events.on_response_trailers(id, s.scratch);
      }
      if (end_stream) s.events.on_response_end(id);
      if (Impl::Stream* again = s.find(id)) {
        again->arena = {};
        again->name_at = {};
        again->value_at = {};
      }
      break;
    }
    case NGHTTP2_DATA:
      if (end_stream && s.find(id) != nullptr) s.events.on_response_end(id);
      break;
    case NGHTTP2_GOAWAY:
      s.goaway = true;
      break;
    default:
      break;
  }
  return 0;
}

int on_data_chunk_recv(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                       void* ud) {
  Impl& s = core(ud);
  if (s.find(id) == nullptr) return 0;
  s.events.on_response_data(id, std::string_view(reinterpret_cast<const char*>(data), len));
  return 0;
}

int on_stream_close(nghttp2_session*, int32_t id, uint32_t error_code, void* ud) {
  Impl& s = core(ud);
  if (s.streams.erase(id) == 0) return 0;
  s.events.on_stream_close(id, error_code);
  return 0;
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  Impl& s = core(ud);
  if (frame->hd.type == NGHTTP2_DATA) s.guard.on_data_frame_sent();
  if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR &&
      !s.failed) {
    // nghttp2 ended the connection for an error it found (a backstop: on_error is
    // normally first).
    s.failed = true;
    s.reason = "protocol error";
    s.abandon_streams();
  }
  return 0;
}

// nghttp2 reports the connection errors it finds here, before it queues its GOAWAY.
int on_error(nghttp2_session*, int, const char* msg, size_t len, void* ud) {
  Impl& s = core(ud);
  if (!s.failed) {
    s.failed = true;
    s.reason = msg != nullptr ? std::string(msg, len) : "protocol error";
  }
  return 0;
}

ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length, uint32_t* flags,
                  nghttp2_data_source*, void* ud) {
  Impl::Stream* st = core(ud).find(id);
  if (st == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const size_t n = std::min(length, st->body.size() - st->body_at);
  if (n > 0) std::memcpy(buf, st->body.data() + st->body_at, n);
  st->body_at += n;
  if (st->body_at == st->body.size()) {
    st->body.clear();
    st->body_at = 0;
  }
  if (st->body.empty() && st->body_ended) {
    *flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (n == 0) {
    st->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

}  // namespace

H2ClientSession::H2ClientSession(const H2ClientLimits& limits, H2ClientEvents& events)
    : impl_(std::make_unique<Impl>(limits, events)) {}

H2ClientSession::~H2ClientSession() = default;

bool H2ClientSession::start() {
  if (impl_->session != nullptr) return false;
  const H2ClientLimits& l = impl_->limits;
  nghttp2_session_callbacks* cb = nullptr;
  if (nghttp2_session_callbacks_new(&cb) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_frame_callback(cb, on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
  nghttp2_session_callbacks_set_error_callback2(cb, on_error);
  nghttp2_option* opt = nullptr;
  if (nghttp2_option_new(&opt) != 0) {
    nghttp2_session_callbacks_del(cb);
    return false;
  }
  nghttp2_option_set_no_auto_window_update(opt, 1);
  nghttp2_option_set_no_closed_streams(opt, 1);
  nghttp2_option_set_max_deflate_dynamic_table_size(opt, kDeflateTableSize);
  nghttp2_option_set_max_send_header_block_length(opt, kMaxSendHeaderBlock);
  nghttp2_option_set_max_continuations(opt, size_t{l.max_continuation_frames} + 1);
  nghttp2_option_set_max_outbound_ack(opt, size_t{l.max_control_frames_per_interval} * 2 + 2);
  const int rv = nghttp2_session_client_new2(&impl_->session, cb, impl_.get(), opt);
  nghttp2_option_del(opt);
  nghttp2_session_callbacks_del(cb);
  if (rv != 0) {
    impl_->session = nullptr;
    return false;
  }
  return h2_submit_settings(impl_->session, l.initial_window_size, l.max_frame_size,
                            l.max_header_list_size, l.connection_window_size,
                            {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0}});
}

bool H2ClientSession::receive(std::string_view bytes, int64_t now_ms) {
  Impl& s = *impl_;
  if (s.session == nullptr || s.failed) return false;
  s.guard.set_now(now_ms);
  const ssize_t rv = nghttp2_session_mem_recv(
      s.session, reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (rv < 0 && !s.failed) {
    s.failed = true;
    s.reason =
        rv == NGHTTP2_ERR_FLOODED ? "flood: control" : nghttp2_strerror(static_cast<int>(rv));
  }
  if (!s.failed && nghttp2_session_want_read(s.session) == 0 && !s.goaway) {
    // nghttp2 stopped reading on its own: it found a connection error.
    s.failed = true;
    s.reason = "protocol error";
  }
  if (!s.failed) s.serialize(s.pending, kMaxPending);
  if (s.failed) s.abandon_streams();
  return !s.failed;
}

void H2ClientSession::collect_output(std::string& out, size_t max) {
  Impl& s = *impl_;
  if (s.session == nullptr) return;
  if (!s.pending.empty()) {
    out.append(s.pending);
    s.pending.clear();
  }
  s.serialize(out, max);
}

bool H2ClientSession::want_write() const {
  return impl_->session != nullptr &&
         (!impl_->pending.empty() || nghttp2_session_want_write(impl_->session) != 0);
}

int32_t H2ClientSession::submit_request(std::string_view method, std::string_view scheme,
                                        std::string_view authority, std::string_view path,
                                        std::span<const Header> headers, bool end_stream) {
  Impl& s = *impl_;
  if (!can_submit()) return -1;
  std::vector<nghttp2_nv>& nva = s.scratch_nva;
  nva.clear();
  nva.push_back(h2_nv(":method", method));
  nva.push_back(h2_nv(":scheme", scheme));
  if (!authority.empty()) nva.push_back(h2_nv(":authority", authority));
  nva.push_back(h2_nv(":path", path));
  const size_t first_field = nva.size();
  h2_prepare_nva(headers, s.scratch_names, nva);
  // :authority carries the Host field.
  nva.erase(std::remove_if(nva.begin() + static_cast<std::ptrdiff_t>(first_field), nva.end(),
                           [](const nghttp2_nv& nv) {
                             return nv.namelen == 4 && std::memcmp(nv.name, "host", 4) == 0;
                           }),
            nva.end());
  auto st = std::make_unique<Impl::Stream>();
  st->body_ended = end_stream;
  nghttp2_data_provider provider{};
  provider.read_callback = read_body;
  const int32_t id = nghttp2_submit_request(s.session, nullptr, nva.data(), nva.size(),
                                            end_stream ? nullptr : &provider, nullptr);
  if (id < 0) return -1;
  s.streams[id] = std::move(st);
  return id;
}

void H2ClientSession::send_data(int32_t stream_id, std::string_view data) {
  Impl::Stream* st = impl_->find(stream_id);
  if (st == nullptr || st->body_ended || data.empty()) return;
  st->body.append(data);
  if (st->deferred) {
    st->deferred = false;
    nghttp2_session_resume_data(impl_->session, stream_id);
  }
}

void H2ClientSession::end_data(int32_t stream_id) {
  Impl::Stream* st = impl_->find(stream_id);
  if (st == nullptr || st->body_ended) return;
  st->body_ended = true;
  if (st->deferred) {
    st->deferred = false;
    nghttp2_session_resume_data(impl_->session, stream_id);
  }
}

size_t H2ClientSession::queued(int32_t stream_id) const {
  const Impl::Stream* st = impl_->find(stream_id);
  return st == nullptr ? 0 : st->body.size() - st->body_at;
}

void H2ClientSession::consume(int32_t stream_id, size_t n) {
  if (impl_->session == nullptr || n == 0) return;
  nghttp2_session_consume(impl_->session, stream_id, n);
}

void H2ClientSession::reset_stream(int32_t stream_id, uint32_t error_code) {
  if (impl_->session == nullptr || impl_->find(stream_id) == nullptr) return;
  nghttp2_submit_rst_stream(impl_->session, NGHTTP2_FLAG_NONE, stream_id, error_code);
}

bool H2ClientSession::can_submit() const {
  const Impl& s = *impl_;
  return s.session != nullptr && !s.failed && !s.goaway &&
         nghttp2_session_check_request_allowed(s.session) != 0;
}

bool H2ClientSession::failed() const {
  return impl_->failed;
}

bool H2ClientSession::goaway_received() const {
  return impl_->goaway;
}

std::string_view H2ClientSession::failure() const {
  return impl_->reason;
}

}  // namespace rampart::http
