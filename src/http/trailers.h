#pragma once
// Trailer fields as a proxy passes them on: split from the section a ChunkedDecoder
// kept, without the fields a trailer may not carry.

#include <string_view>
#include <vector>

#include "http/message.h"

namespace rampart::http {

// Whether a field may be forwarded in a trailer section: not framing (Content-Length,
// Transfer-Encoding, Trailer), routing or authentication (Host, Authorization),
// response control (Cache-Control, Content-Type, Content-Encoding, Set-Cookie, ...),
// nor hop-by-hop (RFC 9110 §6.5.1).
bool forwardable_trailer(std::string_view name);

// Appends the forwardable fields of `lines` ("name: value\r\n" each, as
// ChunkedDecoder::trailers() gives them) to `out`, values trimmed; views into `lines`.
void split_trailer_fields(std::string_view lines, std::vector<Header>& out);

}  // namespace rampart::http
