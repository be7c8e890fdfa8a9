#pragma once
// An HTTP/2 request head rewritten as an HTTP/1.1 head, so that one request pipeline
// (and one strict parser, h1_parser) serves both protocols. Anything that cannot be
// expressed unambiguously in HTTP/1.1 is refused here rather than passed on.

#include <string>
#include <string_view>

#include "http/h2_server_session.h"

namespace rampart::http {

struct H2HeadTranslation {
  bool ok = false;
  int status = 0;          // when !ok: the status to answer (400)
  std::string_view error;  // when !ok: static text naming the rule that was broken
};

// Appends to `out`: the request line (`CONNECT authority HTTP/1.1` for CONNECT), `host`
// first (from :authority, else the Host field), the other fields in arrival order with
// cookie crumbs joined into one `cookie` field (RFC 9113 §8.2.3), then `content-length`
// when known, else `transfer-encoding: chunked` when a body follows (the caller then
// chunk-encodes the DATA), and the blank line.
//
// Refused (400): no authority at all; a Host field that differs from :authority (RFC
// 9113 §8.3.1 lets a server treat this as malformed, and rampart routes on one host
// while the origin could see the other); several Host fields; userinfo in :authority;
// bytes the HTTP/1.1 parser would reject in a target, name or value (names and values
// are not checked again when request.fields_checked says nghttp2 did); connection-specific
// fields and `te` other than "trailers" (nghttp2 refuses these already; defended here
// anyway). `te: trailers` is dropped: it is hop-by-hop.
H2HeadTranslation translate_h2_request(const H2Request& request, std::string& out);

}  // namespace rampart::http
