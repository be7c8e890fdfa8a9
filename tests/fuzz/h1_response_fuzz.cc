// Fuzzes parse_response_head. The first byte picks the request method, because body
// presence depends on it; the rest is the origin's bytes.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "fuzz_check.h"
#include "http/h1_parser.h"

namespace {

using rampart::http::BodyKind;
using rampart::http::iequals;
using rampart::http::ParseResult;
using rampart::http::ParserLimits;
using rampart::http::ParseStatus;
using rampart::http::ResponseHead;

constexpr std::string_view kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};

int count(const ResponseHead& h, std::string_view name) {
  int n = 0;
  for (const auto& f : h.headers) n += iequals(f.name, name);
  return n;
}

void run(std::string_view method, std::string_view in, const ParserLimits& lim) {
  ResponseHead h;
  const ParseResult r = parse_response_head(in, method, lim, h);
  if (r.status == ParseStatus::kError) {
    FUZZ_CHECK(r.error.status == 502 && !r.error.reason.empty());
    return;
  }
  if (r.status == ParseStatus::kIncomplete) {
    FUZZ_CHECK(in.size() <= lim.max_header_bytes);
    return;
  }
  FUZZ_CHECK(r.consumed >= 4 && r.consumed <= in.size() && r.consumed <= lim.max_header_bytes);
  FUZZ_CHECK(in.substr(r.consumed - 4, 4) == "\r\n\r\n");
  FUZZ_CHECK(in.substr(0, 7) == "HTTP/1.");
  FUZZ_CHECK(h.status >= 100 && h.status <= 599);
  FUZZ_CHECK(h.headers.size() <= lim.max_header_count);
  const int te = count(h, "transfer-encoding");
  const int cl = count(h, "content-length");
  FUZZ_CHECK(te <= 1 && (te == 0 || cl == 0));
  const bool bodiless = h.status < 200 || h.status == 204 || h.status == 304 || method == "HEAD" ||
                        (method == "CONNECT" && h.status / 100 == 2);
  if (bodiless) FUZZ_CHECK(h.body == BodyKind::kNone);
  if (h.body == BodyKind::kChunked) FUZZ_CHECK(te == 1 && h.version_minor == 1);
  if (h.body == BodyKind::kContentLength) FUZZ_CHECK(cl >= 1 && h.content_length > 0);
  if (h.body == BodyKind::kUntilClose) FUZZ_CHECK(te == 0 && cl == 0 && !h.keep_alive);
  if (lim.max_body_bytes != 0) FUZZ_CHECK(h.content_length <= lim.max_body_bytes);

  for (size_t cut : {r.consumed - 1, r.consumed / 2}) {
    ResponseHead part;
    const ParseResult pr = parse_response_head(in.substr(0, cut), method, lim, part);
    FUZZ_CHECK(pr.status == ParseStatus::kIncomplete);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view method = kMethods[data[0] % 4];
  const std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  run(method, in, ParserLimits{});
  ParserLimits tight;
  tight.max_request_line = 40;
  tight.max_header_bytes = 200;
  tight.max_header_count = 5;
  tight.max_body_bytes = 500;
  run(method, in, tight);
  return 0;
}
