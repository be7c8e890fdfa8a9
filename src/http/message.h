#pragma once
// Parsed HTTP/1 message heads. Names and values are views into the connection's read
// buffer (zero-copy): a head is valid only while that buffer region is kept.

#include <cstdint>
#include <string_view>
#include <vector>

namespace rampart::http {

struct Header {
  std::string_view name;
  std::string_view value;  // leading/trailing OWS already trimmed
};

enum class BodyKind : uint8_t {
  kNone,           // no body (no CL, no TE, or CL: 0)
  kContentLength,  // exactly content_length bytes follow
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // responses only: body ends when the origin closes
};

// What a request's `Connection`, `Upgrade` and `Expect` headers said.
struct ConnectionFlags {
  bool keep_alive = true;        // HTTP/1.1 default true, HTTP/1.0 default false
  bool upgrade = false;          // Connection: upgrade + Upgrade header present
  bool expect_continue = false;  // Expect: 100-continue
};

struct RequestHead {
  std::string_view method;
  std::string_view target;  // as sent: origin-form, absolute-form, authority-form or "*"
  std::string_view path;    // path part of the target (before '?'), "" for authority/asterisk forms
  std::string_view query;   // after '?', without it; "" if none
  std::string_view host;    // Host header value (or authority of an absolute-form target)
  int version_minor = 1;    // HTTP/1.x
  std::vector<Header> headers;
  BodyKind body = BodyKind::kNone;
  uint64_t content_length = 0;
  ConnectionFlags flags;
  std::string_view upgrade_protocol;  // value of Upgrade header when flags.upgrade

  // First header whose name equals `name` case-insensitively, or nullptr.
  const Header* find(std::string_view name) const;
  void clear();
};

struct ResponseHead {
  int status = 0;
  int version_minor = 1;
  std::string_view reason;
  std::vector<Header> headers;
  BodyKind body = BodyKind::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;  // origin allows reuse of the connection

  const Header* find(std::string_view name) const;
  void clear();
};

bool iequals(std::string_view a, std::string_view b);

// Hop-by-hop headers (RFC 9110 7.6.1) that a proxy never forwards.
bool is_hop_by_hop(std::string_view name);

}  // namespace rampart::http
