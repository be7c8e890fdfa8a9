#pragma once
// Helpers for the HTTP/2 session tests: an events recorder for the server side, a real
// nghttp2 client session wired to the server in memory, and a raw frame builder for
// the misbehaving clients that no well-behaved library would produce.

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/h2_server_session.h"

namespace rampart::http::testing {

using Fields = std::vector<std::pair<std::string, std::string>>;

// What the server session announced, copied out of the callbacks.
struct Recorder : H2ServerEvents {
  struct Req {
    int32_t id = 0;
    std::string method, scheme, authority, path;
    Fields headers;
    std::optional<uint64_t> content_length;
    bool end_stream = false;
    std::string body;
    int ends = 0;
    bool closed = false;
    uint32_t close_code = 0;
  };
  std::map<int32_t, Req> reqs;
  std::vector<int32_t> order;
  std::function<void(const H2Request&)> on_req;  // e.g. answer at once
  std::function<void(int32_t, std::string_view)> on_data;

  void on_request(const H2Request& r) override {
    Req& q = reqs[r.stream_id];
    q.id = r.stream_id;
    q.method = r.method;
    q.scheme = r.scheme;
    q.authority = r.authority;
    q.path = r.path;
    for (const Header& h : r.headers) q.headers.emplace_back(h.name, h.value);
    q.content_length = r.content_length;
    q.end_stream = r.end_stream;
    order.push_back(r.stream_id);
    if (on_req) on_req(r);
  }
  void on_request_data(int32_t id, std::string_view d) override {
    reqs[id].body.append(d);
    if (on_data) on_data(id, d);
  }
  void on_request_end(int32_t id) override { ++reqs[id].ends; }
  void on_stream_close(int32_t id, uint32_t code) override {
    reqs[id].closed = true;
    reqs[id].close_code = code;
  }
};

// A real nghttp2 client talking to the server session through memory.
class Client {
 public:
  struct Resp {
    int status = 0;
    Fields headers;
    Fields trailers;
    std::string body;
    bool closed = false;
    uint32_t close_code = 0;
    bool reset = false;  // RST_STREAM received
  };

  explicit Client(uint32_t window = 65535) {
    nghttp2_session_callbacks* cb = nullptr;
    nghttp2_session_callbacks_new(&cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_close);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame);
    nghttp2_session_client_new(&session_, cb, this);
    nghttp2_session_callbacks_del(cb);
    const nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, window}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, iv, 1);
  }
  ~Client() { nghttp2_session_del(session_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  nghttp2_session* session() { return session_; }

  // A request; `body` null means END_STREAM on the HEADERS.
  int32_t request(std::string_view method, std::string_view path, const Fields& extra = {},
                  const std::string* body = nullptr, std::string_view authority = "example.com") {
    Fields f = {{":method", std::string(method)},
                {":scheme", "https"},
                {":authority", std::string(authority)},
                {":path", std::string(path)}};
    for (const auto& e : extra) f.push_back(e);
    std::vector<nghttp2_nv> nva;
    for (auto& [n, v] : f) nva.push_back(nv(n, v));
    nghttp2_data_provider prd{};
    Upload* up = nullptr;
    if (body != nullptr) {
      up = &uploads_.emplace_back(Upload{*body, 0});
      prd.source.ptr = up;
      prd.read_callback = read_upload;
    }
    return nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                  body != nullptr ? &prd : nullptr, nullptr);
  }

  // Moves bytes both ways until neither side has anything more to say.
  void exchange(H2ServerSession& server, int64_t now_ms = 0) {
    for (int round = 0; round < 10000; ++round) {
      std::string c2s;
      const uint8_t* p = nullptr;
      for (ssize_t n; (n = nghttp2_session_mem_send(session_, &p)) > 0;) {
        c2s.append(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
      }
      if (!c2s.empty()) server_open = server.receive(c2s, now_ms) && server_open;
      std::string s2c;
      server.collect_output(s2c, 1 << 20);
      if (!s2c.empty()) {
        nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(s2c.data()),
                                 s2c.size());
      }
      if (c2s.empty() && s2c.empty()) return;
    }
  }

  std::map<int32_t, Resp> resps;
  bool goaway = false;
  uint32_t goaway_code = 0;
  int32_t goaway_last_id = -1;
  int goaways = 0;
  bool server_open = true;

  static nghttp2_nv nv(const std::string& n, const std::string& v) {
    return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(n.data())),
                      reinterpret_cast<uint8_t*>(const_cast<char*>(v.data())), n.size(), v.size(),
                      NGHTTP2_NV_FLAG_NONE};
  }

 private:
  struct Upload {
    std::string data;
    size_t at;
  };
  static ssize_t read_upload(nghttp2_session*, int32_t, uint8_t* buf, size_t len, uint32_t* flags,
                             nghttp2_data_source* src, void*) {
    auto* up = static_cast<Upload*>(src->ptr);
    const size_t n = std::min(len, up->data.size() - up->at);
    std::memcpy(buf, up->data.data() + up->at, n);
    up->at += n;
    if (up->at == up->data.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
  static int on_header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* n, size_t nl,
                       const uint8_t* v, size_t vl, uint8_t, void* ud) {
    auto* c = static_cast<Client*>(ud);
    Resp& r = c->resps[f->hd.stream_id];
    std::string name(reinterpret_cast<const char*>(n), nl);
    std::string value(reinterpret_cast<const char*>(v), vl);
    if (name == ":status") {
      r.status = std::stoi(value);
    } else if (r.status != 0 && f->headers.cat == NGHTTP2_HCAT_HEADERS) {
      r.trailers.emplace_back(name, value);
    } else {
      r.headers.emplace_back(name, value);
    }
    return 0;
  }
  static int on_data(nghttp2_session*, uint8_t, int32_t id, const uint8_t* d, size_t n, void* ud) {
    static_cast<Client*>(ud)->resps[id].body.append(reinterpret_cast<const char*>(d), n);
    return 0;
  }
  static int on_close(nghttp2_session*, int32_t id, uint32_t code, void* ud) {
    Resp& r = static_cast<Client*>(ud)->resps[id];
    r.closed = true;
    r.close_code = code;
    return 0;
  }
  static int on_frame(nghttp2_session*, const nghttp2_frame* f, void* ud) {
    auto* c = static_cast<Client*>(ud);
    if (f->hd.type == NGHTTP2_GOAWAY) {
      c->goaway = true;
      ++c->goaways;
      c->goaway_code = f->goaway.error_code;
      c->goaway_last_id = f->goaway.last_stream_id;
    } else if (f->hd.type == NGHTTP2_RST_STREAM) {
      c->resps[f->hd.stream_id].reset = true;
    }
    return 0;
  }

  nghttp2_session* session_ = nullptr;
  std::deque<Upload> uploads_;
};

// Raw frames, for clients no library would let us be.
namespace frames {

inline constexpr uint8_t kData = 0, kHeaders = 1, kPriority = 2, kRst = 3, kSettings = 4, kPing = 6,
                         kGoaway = 7, kWindowUpdate = 8, kContinuation = 9;
inline constexpr uint8_t kEndStream = 1, kAck = 1, kEndHeaders = 4;

inline std::string frame(uint8_t type, uint8_t flags, uint32_t stream, std::string_view payload) {
  std::string f;
  const size_t n = payload.size();
  f.push_back(static_cast<char>(n >> 16));
  f.push_back(static_cast<char>(n >> 8));
  f.push_back(static_cast<char>(n));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift : {24, 16, 8, 0}) f.push_back(static_cast<char>((stream >> shift) & 0xFF));
  f.append(payload);
  return f;
}

// HPACK integer with an N-bit prefix (RFC 7541 §5.1).
inline void hpack_int(std::string& out, uint8_t first, int prefix_bits, size_t v) {
  const size_t max = (size_t{1} << prefix_bits) - 1;
  if (v < max) {
    out.push_back(static_cast<char>(first | v));
    return;
  }
  out.push_back(static_cast<char>(first | max));
  v -= max;
  while (v >= 128) {
    out.push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Header block of literal fields without indexing, plain strings (no Huffman).
inline std::string hpack(const Fields& fields) {
  std::string out;
  for (const auto& [n, v] : fields) {
    out.push_back(0);
    hpack_int(out, 0, 7, n.size());
    out.append(n);
    hpack_int(out, 0, 7, v.size());
    out.append(v);
  }
  return out;
}

inline Fields get(std::string_view path = "/") {
  return {{":method", "GET"},
          {":scheme", "https"},
          {":authority", "example.com"},
          {":path", std::string(path)}};
}

inline std::string preface() {
  return std::string(kH2Preface) + frame(kSettings, 0, 0, "");
}

inline std::string ping(uint8_t flags = 0) {
  return frame(kPing, flags, 0, std::string(8, 'p'));
}

inline std::string rst(uint32_t stream, uint32_t code = 8) {
  std::string p;
  for (int shift : {24, 16, 8, 0}) p.push_back(static_cast<char>((code >> shift) & 0xFF));
  return frame(kRst, 0, stream, p);
}

struct Parsed {
  uint8_t type;
  uint8_t flags;
  uint32_t stream;
  std::string payload;
};

// Frames the server wrote (after its SETTINGS, all are whole frames).
inline std::vector<Parsed> parse(std::string_view in) {
  std::vector<Parsed> out;
  while (in.size() >= 9) {
    const auto b = [&](size_t i) { return static_cast<uint8_t>(in[i]); };
    const size_t len = (size_t{b(0)} << 16) | (size_t{b(1)} << 8) | b(2);
    if (in.size() < 9 + len) break;
    const uint32_t id =
        ((uint32_t{b(5)} << 24) | (uint32_t{b(6)} << 16) | (uint32_t{b(7)} << 8) | b(8)) &
        0x7FFFFFFF;
    out.push_back(Parsed{b(3), b(4), id, std::string(in.substr(9, len))});
    in.remove_prefix(9 + len);
  }
  return out;
}

// The error code of the last GOAWAY in `out`, or -1.
inline int64_t goaway_code(std::string_view out) {
  int64_t code = -1;
  for (const Parsed& f : parse(out)) {
    if (f.type != kGoaway || f.payload.size() < 8) continue;
    code = 0;
    for (int i = 4; i < 8; ++i) code = (code << 8) | static_cast<uint8_t>(f.payload[i]);
  }
  return code;
}

}  // namespace frames

}  // namespace rampart::http::testing
