#include <algorithm>
#include <charconv>
#include <cstring>

#include "http/h2_session_core.h"

namespace rampart::http {

namespace {

// Past this a client's stream ids are nearly used up (2^31-1): it is told to go away
// while it can still open a new connection cleanly.
constexpr int32_t kLastComfortableStreamId = 0x7FFF0000;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

bool connection_specific(std::string_view lower_name) {
  switch (lower_name.size()) {  // most names are rejected by their length alone
    case 7:
      return lower_name == "upgrade";
    case 10:
      return lower_name == "connection" || lower_name == "keep-alive";
    case 16:
      return lower_name == "proxy-connection";
    case 17:
      return lower_name == "transfer-encoding";
    default:
      return false;
  }
}

// Fields whose values rarely repeat: entered into the HPACK dynamic table, each would
// evict entries that do repeat and lengthen the encoder's search of that table for
// every later field (with X-Request-Id on every response, dozens of comparisons per
// field). They go out as literals that are never indexed; Set-Cookie also because
// RFC 7541 §7.1.3 advises against indexing secrets.
bool unique_valued(std::string_view lower_name) {
  return lower_name == "x-request-id" || lower_name == "set-cookie";
}

}  // namespace

bool h2_submit_settings(nghttp2_session* session, uint32_t initial_window_size,
                        uint32_t max_frame_size, uint32_t max_header_list_size,
                        uint32_t connection_window_size,
                        std::initializer_list<nghttp2_settings_entry> extra) {
  const uint32_t frame_size = std::clamp<uint32_t>(max_frame_size, 16384, (1u << 24) - 1);
  const uint32_t window = std::min<uint32_t>(initial_window_size, (1u << 31) - 1);
  std::vector<nghttp2_settings_entry> iv(extra);
  iv.push_back({NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window});
  iv.push_back({NGHTTP2_SETTINGS_MAX_FRAME_SIZE, frame_size});
  iv.push_back({NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, max_header_list_size});
  iv.push_back({NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1});
  if (nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, iv.data(), iv.size()) != 0) {
    return false;
  }
  const int32_t conn_window =
      static_cast<int32_t>(std::min<uint32_t>(connection_window_size, (1u << 31) - 1));
  if (conn_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE) {
    nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, conn_window);
  }
  return true;
}

nghttp2_nv h2_nv(std::string_view name, std::string_view value) {
  // nghttp2 copies names and values on submit (no NO_COPY flags), so views suffice.
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

void h2_prepare_fields(std::span<const Header> in, std::vector<std::string>& names,
                       std::vector<std::string_view>& values) {
  names.reserve(names.size() + in.size());
  for (const Header& h : in) {
    if (h.name.empty() || h.name.front() == ':') continue;
    std::string name(h.name);
    for (char& c : name) c = lower(c);
    if (connection_specific(name)) continue;
    names.push_back(std::move(name));
    values.push_back(h.value);
  }
}

void h2_prepare_nva(std::span<const Header> in, std::string& names, std::vector<nghttp2_nv>& nva) {
  size_t bytes = 0;
  for (const Header& h : in) bytes += h.name.size();
  names.resize(bytes);  // sized once, never reallocated below: the entries point into it
  char* const base = names.data();
  size_t used = 0;
  for (const Header& h : in) {
    if (h.name.empty() || h.name.front() == ':') continue;
    char* at = base + used;
    for (size_t i = 0; i < h.name.size(); ++i) at[i] = lower(h.name[i]);
    const std::string_view name(at, h.name.size());
    if (connection_specific(name)) continue;
    used += name.size();
    nghttp2_nv nv = h2_nv(name, h.value);
    if (unique_valued(name)) nv.flags = NGHTTP2_NV_FLAG_NO_INDEX;
    nva.push_back(nv);
  }
}

int H2SessionCore::announce(int32_t id, Stream& s, bool end_stream) {
  scratch_headers.clear();
  scratch_headers.reserve(s.fields.size());
  H2Request r;
  r.stream_id = id;
  for (const FieldRef& f : s.fields) {
    const Header h{s.view(f, false), s.view(f, true)};
    scratch_headers.push_back(h);
    if (r.authority.empty() && h.name == "host") r.authority = h.value;
    if (h.name == "content-length") {
      uint64_t n = 0;
      const char* b = h.value.data();
      const auto [p, ec] = std::from_chars(b, b + h.value.size(), n);
      if (ec == std::errc() && p == b + h.value.size()) r.content_length = n;
    }
  }
  if (s.method) r.method = s.view(*s.method, true);
  if (s.scheme) r.scheme = s.view(*s.scheme, true);
  if (s.path) r.path = s.view(*s.path, true);
  if (s.authority) r.authority = s.view(*s.authority, true);
  r.headers = scratch_headers;
  r.end_stream = end_stream;
  r.fields_checked = true;  // nghttp2_option_set_no_http_messaging(opt, 0) in start()
  s.announced = true;
  events.on_request(r);
  // The lead may have reset or answered the stream inside on_request; the head's
  // storage is no longer needed either way.
  if (Stream* again = find(id); again != nullptr) {
    again->arena = {};
    again->fields = {};
    if (end_stream) request_end(id, *again);
  }
  return 0;
}

int H2SessionCore::reject_header_list(int32_t id, Stream& s) {
  ++counters.header_lists_too_large;
  s.arena = {};
  s.fields = {};
  if (const H2Flood f = guard.on_rejected_header_list(); f != H2Flood::kNone) return flood(f);
  // A 431 the client can read beats a bare reset; a body that follows is dropped.
  const nghttp2_nv status = h2_nv(":status", "431");
  nghttp2_submit_response(session, id, &status, 1, nullptr);
  return 0;
}

namespace {

using Impl = H2SessionCore;

Impl& self(void* user_data) {
  return *static_cast<Impl*>(user_data);
}

int on_begin_frame(nghttp2_session*, const nghttp2_frame_hd* hd, void* ud) {
  Impl& s = self(ud);
  if (s.failed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  const H2Flood f = s.guard.on_frame_header(hd->type, hd->flags, hd->length);
  return f == H2Flood::kNone ? 0 : s.flood(f);
}

int on_begin_headers(nghttp2_session* session, const nghttp2_frame* frame, void* ud) {
  Impl& s = self(ud);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  const int32_t id = frame->hd.stream_id;
  ++s.counters.streams;
  std::unique_ptr<Impl::Stream> stream = s.take_stream();
  const uint32_t max_streams = s.limits.max_streams_per_connection;
  if ((max_streams != 0 && s.accepted >= max_streams) || s.final_goaway_sent) {
    // Beyond the last stream the GOAWAY promises: safe for the client to retry.
    stream->refused = true;
    stream->reset_accounted = true;
    nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
  } else {
    ++s.accepted;
    if ((max_streams != 0 && s.accepted == max_streams) || id >= kLastComfortableStreamId) {
      s.final_goaway(id);
    }
  }
  s.streams[id] = std::move(stream);
  return 0;
}

int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
              const uint8_t* value, size_t valuelen, uint8_t, void* ud) {
  Impl& s = self(ud);
  // Trailers (a second header block) are accepted and dropped.
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  Impl::Stream* st = s.find(frame->hd.stream_id);
  if (st == nullptr || st->refused || st->too_large) return 0;
  ++st->field_count;
  st->list_bytes += namelen + valuelen + 32;  // RFC 9113 §6.5.2 field size
  if (st->field_count > s.limits.max_header_count ||
      st->list_bytes > s.limits.max_header_list_size) {
    st->too_large = true;
    st->arena = {};
    st->fields = {};
    return 0;
  }
  Impl::FieldRef ref;
  ref.name_at = static_cast<uint32_t>(st->arena.size());
  ref.name_len = static_cast<uint32_t>(namelen);
  st->arena.append(reinterpret_cast<const char*>(name), namelen);
  ref.value_at = static_cast<uint32_t>(st->arena.size());
  ref.value_len = static_cast<uint32_t>(valuelen);
  st->arena.append(reinterpret_cast<const char*>(value), valuelen);
  const std::string_view n(reinterpret_cast<const char*>(name), namelen);
  if (n.empty()) return 0;
  if (n.front() != ':') {  // most fields: no pseudo-field names to compare
    st->fields.push_back(ref);
  } else if (n == ":method") {
    st->method = ref;
  } else if (n == ":scheme") {
    st->scheme = ref;
  } else if (n == ":authority") {
    st->authority = ref;
  } else if (n == ":path") {
    st->path = ref;
  }
  return 0;
}

int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  Impl& s = self(ud);
  const int32_t id = frame->hd.stream_id;
  const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      Impl::Stream* st = s.find(id);
      if (st == nullptr || st->refused) return 0;
      if (frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
        return st->too_large ? s.reject_header_list(id, *st) : s.announce(id, *st, end_stream);
      }
      if (end_stream) s.request_end(id, *st);
      return 0;
    }
    case NGHTTP2_DATA:
      if (end_stream) {
        if (Impl::Stream* st = s.find(id); st != nullptr) s.request_end(id, *st);
      }
      return 0;
    case NGHTTP2_RST_STREAM:
      ++s.counters.resets_received;
      return 0;
    case NGHTTP2_GOAWAY:
      s.peer_goaway = true;
      return 0;
    case NGHTTP2_PING:
      if ((frame->hd.flags & NGHTTP2_FLAG_ACK) != 0 && s.going_away &&
          std::memcmp(frame->ping.opaque_data, kShutdownPing, 8) == 0) {
        s.final_goaway(nghttp2_session_get_last_proc_stream_id(s.session));
      }
      return 0;
    default:
      return 0;
  }
}

int on_data_chunk_recv(nghttp2_session* session, uint8_t, int32_t id, const uint8_t* data,
                       size_t len, void* ud) {
  Impl& s = self(ud);
  Impl::Stream* st = s.find(id);
  if (st == nullptr) {
    nghttp2_session_consume_connection(session, len);
    return 0;
  }
  if (!st->announced || st->request_ended) {
    // Nobody reads it (a refused or rejected stream): the window reopens at once.
    nghttp2_session_consume(session, id, len);
    return 0;
  }
  st->unconsumed += len;
  s.events.on_request_data(id, std::string_view(reinterpret_cast<const char*>(data), len));
  return 0;
}

int on_stream_close(nghttp2_session* session, int32_t id, uint32_t error_code, void* ud) {
  Impl& s = self(ud);
  auto it = s.streams.find(id);
  if (it == s.streams.end()) return 0;
  // Bytes nobody will consume any more still hold the connection window.
  if (it->second->unconsumed != 0) {
    nghttp2_session_consume_connection(session, it->second->unconsumed);
  }
  const bool announced = it->second->announced;
  s.recycle(std::move(it->second));
  s.streams.erase(it);
  if (announced) s.events.on_stream_close(id, error_code);
  return 0;
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* ud) {
  Impl& s = self(ud);
  switch (frame->hd.type) {
    case NGHTTP2_DATA:
      s.guard.on_data_frame_sent();
      break;
    case NGHTTP2_RST_STREAM: {
      ++s.counters.resets_sent;
      const Impl::Stream* st = s.find(frame->hd.stream_id);
      if (st == nullptr || !st->reset_accounted) s.guard.on_reset_provoked();
      break;
    }
    case NGHTTP2_GOAWAY:
      // A connection error nghttp2 found in the frames (it queues the GOAWAY itself and
      // ignores all input after it) becomes final here.
      if (frame->goaway.error_code != NGHTTP2_NO_ERROR) {
        if (s.counters.flood == H2Flood::kNone) s.counters.protocol_error = true;
        s.failed = true;
        s.abandon_streams(frame->goaway.error_code);
      }
      break;
    default:
      break;
  }
  return 0;
}

}  // namespace

void install_h2_callbacks(nghttp2_session_callbacks* cb) {
  nghttp2_session_callbacks_set_on_begin_frame_callback(cb, on_begin_frame);
  nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
  nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(cb, on_frame_send);
}

ssize_t h2_read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                     uint32_t* data_flags, nghttp2_data_source*, void* ud) {
  H2SessionCore& s = *static_cast<H2SessionCore*>(ud);
  H2SessionCore::Stream* st = s.find(id);
  if (st == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const size_t avail = st->body.size() - st->body_at;
  if (avail == 0 && !st->body_ended) {
    st->deferred = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  const size_t n = std::min(avail, length);
  std::memcpy(buf, st->body.data() + st->body_at, n);
  st->body_at += n;
  if (st->body_at == st->body.size()) {
    st->body.clear();
    st->body_at = 0;
  } else if (st->body_at > 64 * 1024 && st->body_at * 2 > st->body.size()) {
    st->body.erase(0, st->body_at);
    st->body_at = 0;
  }
  if (st->body_ended && st->body_at == st->body.size()) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!st->trailer_names.empty()) {
      std::vector<nghttp2_nv> nva;
      for (size_t i = 0; i < st->trailer_names.size(); ++i) {
        nva.push_back(h2_nv(st->trailer_names[i], st->trailer_values[i]));
      }
      if (nghttp2_submit_trailer(session, id, nva.data(), nva.size()) == 0) {
        *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
    }
  }
  return static_cast<ssize_t>(n);
}

}  // namespace rampart::http
