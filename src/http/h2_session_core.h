#pragma once
// The state behind H2ServerSession, shared by the public methods
// (h2_server_session.cc) and the nghttp2 callbacks (h2_session_callbacks.cc). Internal
// to http/.

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/h2_flood_guard.h"
#include "http/h2_server_session.h"

namespace rampart::http {

// Opaque data of the PING that measures one round trip between the two GOAWAYs of a
// graceful shutdown.
inline constexpr uint8_t kShutdownPing[8] = {'r', 'a', 'm', 'p', 'a', 'r', 't', 'G'};

struct H2SessionCore {
  struct FieldRef {
    uint32_t name_at = 0, name_len = 0, value_at = 0, value_len = 0;
  };
  struct Stream {
    // The request head while it arrives: names and values copied into one arena.
    std::string arena;
    std::vector<FieldRef> fields;
    std::optional<FieldRef> method, scheme, authority, path;
    size_t field_count = 0;
    size_t list_bytes = 0;
    bool too_large = false;  // over a header limit: answered 431, never announced
    bool refused = false;    // past max_streams_per_connection: REFUSED_STREAM
    bool announced = false;  // on_request fired, so on_stream_close will too
    bool request_ended = false;
    bool reset_accounted = false;  // a reset rampart chose, not one the client provoked
    uint64_t unconsumed = 0;       // body bytes handed out, window not reopened yet
    // The response body: bytes not yet framed are body[body_at..].
    bool responding = false;
    std::string body;
    size_t body_at = 0;
    bool body_ended = false;
    bool deferred = false;  // the data provider said DEFERRED; resume on new bytes
    std::vector<std::string> trailer_names;
    std::vector<std::string> trailer_values;

    std::string_view view(const FieldRef& r, bool value) const {
      return value ? std::string_view(arena).substr(r.value_at, r.value_len)
                   : std::string_view(arena).substr(r.name_at, r.name_len);
    }
  };

  H2SessionCore(const H2Limits& l, H2ServerEvents& e) : limits(l), events(e), guard(l) {}
  ~H2SessionCore() {
    if (session != nullptr) nghttp2_session_del(session);
  }

  Stream* find(int32_t id) {
    auto it = streams.find(id);
    return it == streams.end() ? nullptr : it->second.get();
  }

  // Ends the connection for a flood: GOAWAY(ENHANCE_YOUR_CALM), nothing more is read.
  int flood(H2Flood kind) {
    if (!failed) {
      failed = true;
      counters.flood = kind;
      nghttp2_session_terminate_session(session, NGHTTP2_ENHANCE_YOUR_CALM);
    }
    return NGHTTP2_ERR_CALLBACK_FAILURE;
  }

  void protocol_failure(uint32_t code) {
    if (failed) return;
    failed = true;
    counters.protocol_error = true;
    nghttp2_session_terminate_session(session, code);
  }

  // The final GOAWAY: streams up to `last_id` finish, later ones are never processed.
  void final_goaway(int32_t last_id) {
    if (final_goaway_sent || failed) return;
    final_goaway_sent = true;
    going_away = true;
    nghttp2_submit_goaway(session, NGHTTP2_FLAG_NONE, last_id, NGHTTP2_NO_ERROR, nullptr, 0);
  }

  void begin_graceful() {
    if (going_away || failed) return;
    going_away = true;
    // RFC 9113 §6.8: a first GOAWAY with the largest id, then after a round trip (the
    // PING's ACK) the real one, so requests already on the wire are not lost.
    nghttp2_submit_shutdown_notice(session);
    nghttp2_submit_ping(session, NGHTTP2_FLAG_NONE, kShutdownPing);
  }

  // The connection is ending for a flood or protocol error: nghttp2 will not close the
  // streams it still holds, so each announced one is closed here, once.
  void abandon_streams(uint32_t code) {
    std::vector<int32_t> ids;
    for (const auto& [id, st] : streams) {
      if (st->announced) ids.push_back(id);
    }
    streams.clear();
    std::sort(ids.begin(), ids.end());
    for (int32_t id : ids) events.on_stream_close(id, code);
  }

  void request_end(int32_t id, Stream& s) {
    if (!s.announced || s.request_ended) return;
    s.request_ended = true;
    events.on_request_end(id);
  }

  int announce(int32_t id, Stream& s, bool end_stream);
  int reject_header_list(int32_t id, Stream& s);

  H2Limits limits;
  H2ServerEvents& events;
  H2FloodGuard guard;
  nghttp2_session* session = nullptr;
  H2Counters counters;
  std::unordered_map<int32_t, std::unique_ptr<Stream>> streams;
  uint64_t accepted = 0;  // request streams let through
  bool failed = false;    // flood or protocol error: nothing more is read
  bool going_away = false;
  bool peer_goaway = false;  // the client sent GOAWAY
  bool final_goaway_sent = false;
  std::vector<Header> scratch_headers;
  // submit_head's field list, reused for every response head.
  std::string scratch_names;
  std::vector<nghttp2_nv> scratch_nva;

  // Closed streams keep their buffers (head arena, field list, body) for the next
  // request on the connection instead of allocating them again.
  std::unique_ptr<Stream> take_stream() {
    if (spare_streams.empty()) return std::make_unique<Stream>();
    std::unique_ptr<Stream> st = std::move(spare_streams.back());
    spare_streams.pop_back();
    return st;
  }
  void recycle(std::unique_ptr<Stream> st) {
    constexpr size_t kMaxSpares = 16, kMaxKeptBytes = 16 * 1024;
    if (spare_streams.size() >= kMaxSpares || st->arena.capacity() > kMaxKeptBytes ||
        st->body.capacity() > kMaxKeptBytes)
      return;
    std::string arena = std::move(st->arena), body = std::move(st->body);
    std::vector<FieldRef> fields = std::move(st->fields);
    *st = Stream{};
    arena.clear();
    body.clear();
    fields.clear();
    st->arena = std::move(arena);
    st->body = std::move(body);
    st->fields = std::move(fields);
    spare_streams.push_back(std::move(st));
  }
  std::vector<std::unique_ptr<Stream>> spare_streams;
};

// Installs every callback the server session needs.
void install_h2_callbacks(nghttp2_session_callbacks* callbacks);
// nghttp2's data-provider read callback for response bodies.
ssize_t h2_read_body(nghttp2_session* session, int32_t id, uint8_t* buf, size_t length,
                     uint32_t* data_flags, nghttp2_data_source* source, void* user_data);
// Response fields as HTTP/2 wants them: lowercase names, no connection-specific fields
// (RFC 9113 §8.2.2), no pseudo-fields smuggled in by a caller.
void h2_prepare_fields(std::span<const Header> in, std::vector<std::string>& names,
                       std::vector<std::string_view>& values);
nghttp2_nv h2_nv(std::string_view name, std::string_view value);
// The same fields appended to `nva`, their lowercased names written into `names`
// (cleared first; sized once, so the entries' pointers into it stay valid until the
// submit, which copies them). Both buffers are the session's, reused per head.
void h2_prepare_nva(std::span<const Header> in, std::string& names, std::vector<nghttp2_nv>& nva);
// The first SETTINGS either side sends: the windows, frame and header-list sizes both
// sides share, no RFC 7540 priorities, plus the role's own `extra` entries; then the
// connection window opened to `connection_window`. False when nghttp2 refused.
bool h2_submit_settings(nghttp2_session* session, uint32_t initial_window_size,
                        uint32_t max_frame_size, uint32_t max_header_list_size,
                        uint32_t connection_window_size,
                        std::initializer_list<nghttp2_settings_entry> extra);

}  // namespace rampart::http
