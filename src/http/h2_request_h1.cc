#include "http/h2_request_h1.h"

#include <charconv>

#include "http/field_grammar.h"
#include "http/h1_internal.h"

namespace rampart::http {

namespace {

H2HeadTranslation refuse(std::string_view why) {
  return H2HeadTranslation{false, 400, why};
}

// What h1_parser accepts in a field value: HTAB, visible ASCII, SP and obs-text, with
// no whitespace at either end (it would trim it, changing the value).
bool is_field_value(std::string_view v) {
  for (char ch : v) {
    const auto c = static_cast<unsigned char>(ch);
    if (c != '\t' && (c < 0x20 || c == 0x7F)) return false;
  }
  if (!v.empty() &&
      (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t')) {
    return false;
  }
  return true;
}

// Request-target bytes: visible ASCII only.
bool is_target(std::string_view t) {
  if (t.empty()) return false;
  for (char ch : t) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) return false;
  }
  return true;
}

bool connection_specific(std::string_view name) {
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade";
}

bool has_upper(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

bool method_wants_length(std::string_view m) {
  return m == "POST" || m == "PUT" || m == "PATCH";
}

}  // namespace

H2HeadTranslation translate_h2_request(const H2Request& r, std::string& out) {
  if (!is_token(r.method)) return refuse("h2: bad method");
  const bool connect = r.method == "CONNECT";

  // One host, from :authority or else the Host field; never two that disagree.
  const Header* host_field = nullptr;
  for (const Header& h : r.headers) {
    if (h.name != "host") continue;
    if (host_field != nullptr) return refuse("h2: several host fields");
    host_field = &h;
  }
  std::string_view authority = r.authority;
  if (host_field != nullptr) {
    if (authority.empty()) authority = host_field->value;
    if (!iequals(authority, host_field->value)) return refuse("h2: host differs from :authority");
  }
  if (authority.empty()) return refuse("h2: no :authority and no host");
  // The HTTP/1.1 parser's own authority grammar (reg-name, IP literal, port): what it
  // would refuse in a Host field is refused here. CONNECT needs a port.
  if (!detail::valid_authority(authority, connect)) return refuse("h2: bad :authority");

  const size_t start = out.size();
  // Sized once: growing by doubling cost one allocation per size step, per request.
  size_t estimate = r.method.size() + r.path.size() + 2 * authority.size() + 96;
  for (const Header& h : r.headers) estimate += h.name.size() + h.value.size() + 4;
  out.reserve(start + estimate);
  if (connect) {
    out.append("CONNECT ").append(authority).append(" HTTP/1.1\r\n");
  } else {
    const bool asterisk = r.path == "*" && r.method == "OPTIONS";
    if (!is_target(r.path) || (r.path.front() != '/' && !asterisk)) {
      return refuse("h2: bad :path");
    }
    out.append(r.method).append(" ").append(r.path).append(" HTTP/1.1\r\n");
  }
  out.append("host: ").append(authority).append("\r\n");

  bool cookie_written = false;
  for (const Header& h : r.headers) {
    if (!r.fields_checked && (!is_token(h.name) || has_upper(h.name) || !is_field_value(h.value))) {
      out.resize(start);
      return refuse("h2: field not valid in HTTP/1.1");
    }
    if (h.name == "host" || h.name == "content-length") continue;
    if (connection_specific(h.name)) {
      out.resize(start);
      return refuse("h2: connection-specific field");
    }
    if (h.name == "te") {
      if (h.value != "trailers") {
        out.resize(start);
        return refuse("h2: te other than trailers");
      }
      continue;
    }
    if (h.name == "cookie") {
      // All crumbs at the place of the first, joined as RFC 9113 §8.2.3 says.
      if (cookie_written) continue;
      cookie_written = true;
      out.append("cookie: ");
      bool first = true;
      for (const Header& c : r.headers) {
        if (c.name != "cookie" || c.value.empty()) continue;
        if (!first) out.append("; ");
        out.append(c.value);
        first = false;
      }
      out.append("\r\n");
      continue;
    }
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }

  char digits[24];
  if (r.content_length) {
    const auto res = std::to_chars(digits, digits + sizeof digits, *r.content_length);
    out.append("content-length: ").append(digits, res.ptr).append("\r\n");
  } else if (!r.end_stream) {
    out.append("transfer-encoding: chunked\r\n");
  } else if (method_wants_length(r.method)) {
    // Origins may insist on a length for these methods (411) even when it is zero.
    out.append("content-length: 0\r\n");
  }
  out.append("\r\n");
  return H2HeadTranslation{true, 0, {}};
}

}  // namespace rampart::http
