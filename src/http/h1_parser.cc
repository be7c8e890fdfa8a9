// Request and response heads (RFC 9112 sections 2-6), parsed in one pass that stops at
// the first broken rule. A caller re-parses from the start as bytes arrive; the scans
// are vectorised, so a re-parse costs about what a search for the blank line would.

#include "http/h1_parser.h"

#include "http/h1_internal.h"

namespace rampart::http {

namespace {

using detail::ConnectionTokens;
using detail::TransferCoding;

// RFC 9112 2.2 asks servers to ignore at least one; clients that send more are broken.
constexpr size_t kMaxLeadingEmptyLines = 4;
constexpr size_t kReservedHeaders = 32;

ParseResult fail(int status, const char* reason) {
  ParseResult r;
  r.status = ParseStatus::kError;
  r.error = ParseError{status, reason};
  return r;
}

// "HTTP/1.0" -> 0, "HTTP/1.1" -> 1, another "HTTP/d.d" -> -1, anything else -> -2.
int parse_version(std::string_view v) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
      v[7] < '0' || v[7] > '9') {
    return -2;
  }
  if (v[5] == '1' && (v[7] == '0' || v[7] == '1')) return v[7] - '0';
  return -1;
}

void split_path_query(std::string_view s, RequestHead& out) {
  const size_t q = s.find('?');
  if (q == std::string_view::npos) {
    out.path = s;
  } else {
    out.path = s.substr(0, q);
    out.query = s.substr(q + 1);
  }
}

// Decides the target form (RFC 9112 3.2) and fills path, query and, for the absolute
// and authority forms, host. Returns a reason on error (always 400).
const char* parse_target(RequestHead& out) {
  const std::string_view t = out.target;
  const bool connect = out.method == "CONNECT";
  if (t.front() == '/') {
    if (connect) return "CONNECT requires authority-form target";
    split_path_query(t, out);
    return nullptr;
  }
  if (t == "*") {
    if (out.method != "OPTIONS") return "asterisk-form target only allowed with OPTIONS";
    return nullptr;
  }
  if (connect) {
    if (!detail::valid_authority(t, /*require_port=*/true)) return "invalid CONNECT authority";
    out.host = t;
    return nullptr;
  }
  const size_t sep = t.find("://");
  if (sep == std::string_view::npos) return "invalid request target";
  const std::string_view scheme = t.substr(0, sep);
  if (!detail::token_is(scheme, "http") && !detail::token_is(scheme, "https")) {
    return "unsupported target scheme";
  }
  const std::string_view rest = t.substr(sep + 3);
  const size_t authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  // http(s) URIs must have a host (RFC 9110 4.2.1); userinfo is refused with '@'.
  if (!detail::valid_authority(authority, /*require_port=*/false)) {
    return "invalid authority in target";
  }
  out.host = authority;
  const std::string_view after =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (after.empty() || after.front() == '?') {
    out.path = "/";  // an empty path means "/" (RFC 9110 4.2.3); static storage
    if (!after.empty()) out.query = after.substr(1);
    return nullptr;
  }
  split_path_query(after, out);
  return nullptr;
}

ParseResult parse_request_line(std::string_view line, RequestHead& out) {
  const size_t n = line.size();
  size_t i = static_cast<size_t>(detail::skip_tchars(line.data(), line.data() + n) - line.data());
  if (i == 0 || i == n || line[i] != ' ') return fail(400, "invalid method");
  out.method = line.substr(0, i);
  const size_t t = ++i;
  i = static_cast<size_t>(detail::skip_vchars(line.data() + i, line.data() + n) - line.data());
  if (i == t) return fail(400, "invalid request target");
  out.target = line.substr(t, i - t);
  if (i == n) return fail(400, "missing HTTP version");
  if (line[i] != ' ') return fail(400, "invalid character in request target");
  const int minor = parse_version(line.substr(i + 1));
  if (minor == -2) return fail(400, "malformed HTTP version");
  if (minor == -1) return fail(505, "unsupported HTTP version");
  out.version_minor = minor;
  if (const char* reason = parse_target(out)) return fail(400, reason);
  return ParseResult{};
}

// What the fields that matter to framing and connection handling said.
struct FieldFacts {
  int host_count = 0;
  std::string_view host;
  int cl_count = 0;
  bool cl_invalid = false;
  bool cl_differs = false;
  uint64_t cl_value = 0;
  int te_count = 0;
  std::string_view te;
  ConnectionTokens connection;
  bool connection_invalid = false;
  bool has_upgrade = false;
  std::string_view upgrade;
  bool expect_other = false;
  bool expect_continue = false;
};

void note_field(const Header& h, FieldFacts& f) {
  // Dispatch on length first: most fields are none of these and cost one switch.
  switch (h.name.size()) {
    case 4:
      if (detail::token_is(h.name, "host")) {
        if (f.host_count++ == 0) f.host = h.value;
      }
      break;
    case 6:
      if (detail::token_is(h.name, "expect")) {
        if (iequals(h.value, "100-continue")) {
          f.expect_continue = true;
        } else {
          f.expect_other = true;
        }
      }
      break;
    case 7:
      if (detail::token_is(h.name, "upgrade") && !f.has_upgrade) {
        f.has_upgrade = true;
        f.upgrade = h.value;
      }
      break;
    case 10:
      if (detail::token_is(h.name, "connection") &&
          !detail::add_connection_tokens(h.value, f.connection)) {
        f.connection_invalid = true;
      }
      break;
    case 14:
      if (detail::token_is(h.name, "content-length")) {
        uint64_t v = 0;
        if (!detail::parse_decimal(h.value, v)) {
          f.cl_invalid = true;
        } else if (f.cl_count > 0 && v != f.cl_value) {
          f.cl_differs = true;
        } else {
          f.cl_value = v;
        }
        ++f.cl_count;
      }
      break;
    case 17:
      if (detail::token_is(h.name, "transfer-encoding")) {
        if (f.te_count++ == 0) f.te = h.value;
      }
      break;
    default:
      break;
  }
}

struct FieldsResult {
  ParseStatus status = ParseStatus::kIncomplete;
  int error_status = 400;
  const char* reason = "";
  size_t end = 0;  // one past the head's final LF, on kComplete
};

// Parses field lines from `pos` up to the empty line that ends the head, appending them
// to `headers` and collecting the facts.
FieldsResult parse_fields(std::string_view in, size_t pos, const ParserLimits& limits,
                          std::vector<Header>& headers, FieldFacts& facts) {
  FieldsResult r;
  const auto error = [&r](int status, const char* reason) {
    r.status = ParseStatus::kError;
    r.error_status = status;
    r.reason = reason;
    return r;
  };
  // Bytes past the limit cannot belong to an acceptable head: running into `end` means
  // "too large" if there are more bytes, "incomplete" if not.
  const bool clipped = in.size() > limits.max_header_bytes;
  const char* const end = in.data() + (clipped ? limits.max_header_bytes : in.size());
  const auto need_more = [&]() { return clipped ? error(431, "header section too large") : r; };
  const char* p = in.data() + pos;
  size_t count = 0;
  for (;;) {
    if (p >= end) return need_more();
    if (*p == '\r') {
      if (p + 1 == end) return need_more();
      if (p[1] != '\n') return error(400, "bare CR");
      r.status = ParseStatus::kComplete;
      r.end = static_cast<size_t>(p + 2 - in.data());
      return r;
    }
    if (*p == '\n') return error(400, "bare LF line ending");
    if (++count > limits.max_header_count) return error(431, "too many header fields");
    Header h;
    const char* reason = nullptr;
    switch (detail::parse_field_line(p, end, h, reason)) {
      case detail::LineStatus::kOk:
        headers.push_back(h);
        note_field(h, facts);
        break;
      case detail::LineStatus::kIncomplete:
        return need_more();
      case detail::LineStatus::kError:
        return error(400, reason);
    }
  }
}

}  // namespace

ParseResult parse_request_head(std::string_view input, const ParserLimits& limits,
                               RequestHead& out) {
  out.clear();
  out.headers.reserve(kReservedHeaders);
  const detail::StartLine line = detail::find_start_line(input, limits, kMaxLeadingEmptyLines);
  if (line.status == ParseStatus::kError) return fail(line.error_status, line.reason);
  if (line.status == ParseStatus::kIncomplete) return ParseResult{};
  const ParseResult rl = parse_request_line(input.substr(line.begin, line.end - line.begin), out);
  if (rl.status == ParseStatus::kError) return rl;

  FieldFacts f;
  const FieldsResult fields = parse_fields(input, line.end + 2, limits, out.headers, f);
  if (fields.status == ParseStatus::kError) return fail(fields.error_status, fields.reason);
  if (fields.status == ParseStatus::kIncomplete) return ParseResult{};

  const bool http11 = out.version_minor == 1;
  if (f.te_count > 0 && !http11) return fail(400, "Transfer-Encoding in HTTP/1.0 request");
  if (f.te_count > 0 && f.cl_count > 0) {
    return fail(400, "both Transfer-Encoding and Content-Length");
  }
  if (f.cl_invalid) return fail(400, "invalid Content-Length");
  if (f.cl_count > 1) return fail(400, "repeated Content-Length");
  if (f.te_count > 1) return fail(400, "repeated Transfer-Encoding");
  if (f.te_count == 1) {
    switch (detail::classify_transfer_encoding(f.te)) {
      case TransferCoding::kMalformed:
        return fail(400, "invalid Transfer-Encoding");
      case TransferCoding::kUnsupported:
        return fail(501, "unsupported transfer coding");
      case TransferCoding::kChunked:
        out.body = BodyKind::kChunked;
        break;
    }
  }
  if (f.host_count > 1) return fail(400, "repeated Host");
  if (f.host_count == 0 && http11) return fail(400, "missing Host");
  if (f.host_count == 1 && !f.host.empty() && !detail::valid_authority(f.host, false)) {
    return fail(400, "invalid Host");
  }
  if (f.connection_invalid) return fail(400, "invalid Connection");
  if (f.expect_other) return fail(417, "unsupported expectation");

  if (f.cl_count == 1) {
    if (limits.max_body_bytes != 0 && f.cl_value > limits.max_body_bytes) {
      return fail(413, "Content-Length over limit");
    }
    out.content_length = f.cl_value;
    out.body = f.cl_value == 0 ? BodyKind::kNone : BodyKind::kContentLength;
  }
  // RFC 9112 3.2.2: the target's authority wins over the Host field.
  if (out.host.empty()) out.host = f.host;

  out.flags.keep_alive = !f.connection.close && (http11 || f.connection.keep_alive);
  // RFC 9110 7.8 and 10.1.1: an HTTP/1.0 Upgrade or 100-continue is ignored.
  out.flags.upgrade = http11 && f.connection.upgrade && f.has_upgrade;
  if (out.flags.upgrade) out.upgrade_protocol = f.upgrade;
  out.flags.expect_continue = http11 && f.expect_continue;

  ParseResult r;
  r.status = ParseStatus::kComplete;
  r.consumed = fields.end;
  return r;
}

namespace {

// `HTTP/1.x SP 3DIGIT [SP reason]`: the SP before an empty reason is often left out.
const char* parse_status_line(std::string_view line, ResponseHead& out) {
  if (line.size() < 12) return "malformed status line";
  const int minor = parse_version(line.substr(0, 8));
  if (minor == -2) return "malformed HTTP version in response";
  if (minor == -1) return "unsupported HTTP version in response";
  if (line[8] != ' ') return "malformed status line";
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return "malformed status code";
    status = status * 10 + (line[i] - '0');
  }
  if (status < 100 || status > 599) return "status code out of range";
  if (line.size() > 12) {
    if (line[12] != ' ') return "malformed status line";
    const std::string_view reason = line.substr(13);
    if (!detail::valid_field_value(reason.data(), reason.size())) {
      return "invalid character in reason phrase";
    }
    out.reason = reason;
  }
  out.version_minor = minor;
  out.status = status;
  return nullptr;
}

}  // namespace

ParseResult parse_response_head(std::string_view input, std::string_view request_method,
                                const ParserLimits& limits, ResponseHead& out) {
  // Every error is the origin's: the client gets a 502, whatever rule was broken.
  constexpr int kBadGateway = 502;
  out.clear();
  out.headers.reserve(kReservedHeaders);
  const detail::StartLine line = detail::find_start_line(input, limits, 0);
  if (line.status == ParseStatus::kError) {
    return fail(kBadGateway, line.error_status == 414 ? "status line too long" : line.reason);
  }
  if (line.status == ParseStatus::kIncomplete) return ParseResult{};
  if (const char* reason =
          parse_status_line(input.substr(line.begin, line.end - line.begin), out)) {
    return fail(kBadGateway, reason);
  }

  FieldFacts f;
  const FieldsResult fields = parse_fields(input, line.end + 2, limits, out.headers, f);
  if (fields.status == ParseStatus::kError) return fail(kBadGateway, fields.reason);
  if (fields.status == ParseStatus::kIncomplete) return ParseResult{};

  const bool http11 = out.version_minor == 1;
  if (f.te_count > 0 && !http11) return fail(kBadGateway, "Transfer-Encoding in HTTP/1.0 response");
  if (f.te_count > 0 && f.cl_count > 0) {
    return fail(kBadGateway, "both Transfer-Encoding and Content-Length");
  }
  if (f.cl_invalid) return fail(kBadGateway, "invalid Content-Length");
  // RFC 9110 8.6 lets a recipient accept repeats of one value; differing ones are fatal.
  if (f.cl_differs) return fail(kBadGateway, "conflicting Content-Length");
  if (f.te_count > 1) return fail(kBadGateway, "repeated Transfer-Encoding");
  // Only plain chunked: after removing it rampart could not say how the rest is coded.
  if (f.te_count == 1 && detail::classify_transfer_encoding(f.te) != TransferCoding::kChunked) {
    return fail(kBadGateway, "unsupported Transfer-Encoding in response");
  }
  if (f.connection_invalid) return fail(kBadGateway, "invalid Connection");

  const int status = out.status;
  const bool bodiless = status < 200 || status == 204 || status == 304 ||
                        request_method == "HEAD" ||
                        (request_method == "CONNECT" && status >= 200 && status < 300);
  if (bodiless) {
    out.body = BodyKind::kNone;
  } else if (f.te_count == 1) {
    out.body = BodyKind::kChunked;
  } else if (f.cl_count > 0) {
    if (limits.max_body_bytes != 0 && f.cl_value > limits.max_body_bytes) {
      return fail(kBadGateway, "Content-Length over limit");
    }
    out.content_length = f.cl_value;
    out.body = f.cl_value == 0 ? BodyKind::kNone : BodyKind::kContentLength;
  } else {
    out.body = BodyKind::kUntilClose;
  }
  out.keep_alive = !f.connection.close && (http11 || f.connection.keep_alive) &&
                   out.body != BodyKind::kUntilClose;

  ParseResult r;
  r.status = ParseStatus::kComplete;
  r.consumed = fields.end;
  return r;
}

}  // namespace rampart::http
