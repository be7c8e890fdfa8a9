// Fuzzes parse_request_head and checks what must hold for every input, not only that
// nothing crashes: a complete head re-parses the same from any buffer that holds it,
// no prefix of it is complete, framing is never ambiguous, and a head rebuilt from the
// parsed fields parses back to the same fields.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "http/h1_parser.h"

namespace {

using rampart::http::BodyKind;
using rampart::http::iequals;
using rampart::http::ParseResult;
using rampart::http::ParserLimits;
using rampart::http::ParseStatus;
using rampart::http::RequestHead;

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

int count(const RequestHead& h, std::string_view name) {
  int n = 0;
  for (const auto& f : h.headers) n += iequals(f.name, name);
  return n;
}

void check_complete(std::string_view in, const ParseResult& r, const RequestHead& h,
                    const ParserLimits& lim) {
  FUZZ_CHECK(r.consumed >= 4 && r.consumed <= in.size());
  FUZZ_CHECK(r.consumed <= lim.max_header_bytes);
  FUZZ_CHECK(in.substr(r.consumed - 4, 4) == "\r\n\r\n");
  FUZZ_CHECK(h.headers.size() <= lim.max_header_count);
  FUZZ_CHECK(h.version_minor == 0 || h.version_minor == 1);
  const std::string_view head = in.substr(0, r.consumed);
  FUZZ_CHECK(inside(h.method, head) && inside(h.target, head) && inside(h.query, head));
  FUZZ_CHECK(inside(h.path, head) || h.path == "/");
  FUZZ_CHECK(inside(h.host, head) && inside(h.upgrade_protocol, head));
  FUZZ_CHECK(!h.method.empty() && !h.target.empty());
  for (const auto& f : h.headers) {
    FUZZ_CHECK(inside(f.name, head) && inside(f.value, head) && !f.name.empty());
    for (char c : f.value) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK(u == '\t' || (u >= 0x20 && u != 0x7F));
    }
    if (!f.value.empty()) {
      FUZZ_CHECK(f.value.front() != ' ' && f.value.front() != '\t');
      FUZZ_CHECK(f.value.back() != ' ' && f.value.back() != '\t');
    }
  }
  for (char c : h.target) FUZZ_CHECK(c > 0x20 && c < 0x7F);

  // The smuggling boundary: exactly one framing source, or none.
  const int te = count(h, "transfer-encoding");
  const int cl = count(h, "content-length");
  FUZZ_CHECK(te == 0 || cl == 0);
  FUZZ_CHECK(te <= 1 && cl <= 1);
  if (te == 1) FUZZ_CHECK(h.body == BodyKind::kChunked && h.version_minor == 1);
  if (h.body == BodyKind::kChunked) FUZZ_CHECK(te == 1);
  if (h.body == BodyKind::kContentLength) FUZZ_CHECK(cl == 1 && h.content_length > 0);
  if (h.body == BodyKind::kNone) FUZZ_CHECK(te == 0 && h.content_length == 0);
  FUZZ_CHECK(h.body != BodyKind::kUntilClose);
  if (lim.max_body_bytes != 0) FUZZ_CHECK(h.content_length <= lim.max_body_bytes);
  FUZZ_CHECK(count(h, "host") <= 1);
  if (h.version_minor == 1) FUZZ_CHECK(count(h, "host") == 1);
  if (h.flags.upgrade) FUZZ_CHECK(count(h, "upgrade") >= 1);

  // The same head alone in a buffer, and every shorter prefix of it.
  RequestHead again;
  const ParseResult alone = parse_request_head(head, lim, again);
  FUZZ_CHECK(alone.status == ParseStatus::kComplete && alone.consumed == r.consumed);
  FUZZ_CHECK(again.headers.size() == h.headers.size() && again.body == h.body);
  for (size_t cut : {r.consumed - 1, r.consumed / 2, r.consumed - 3}) {
    RequestHead part;
    FUZZ_CHECK(parse_request_head(head.substr(0, cut), lim, part).status ==
               ParseStatus::kIncomplete);
  }

  // Rebuilt from the parsed fields (without the tolerated leading CRLFs): same answer.
  std::string rebuilt;
  rebuilt.append(h.method).append(" ").append(h.target).append(" HTTP/1.");
  rebuilt.push_back(static_cast<char>('0' + h.version_minor));
  rebuilt.append("\r\n");
  for (const auto& f : h.headers)
    rebuilt.append(f.name).append(": ").append(f.value).append("\r\n");
  rebuilt.append("\r\n");
  RequestHead re;
  const ParseResult rr = parse_request_head(rebuilt, lim, re);
  // The rebuilt head is never longer than the original minus leading CRLFs, except
  // that "name:value" gains a space; with tight limits it may then be over a limit.
  if (rr.status == ParseStatus::kError) {
    FUZZ_CHECK(rr.error.status == 431);
    return;
  }
  FUZZ_CHECK(rr.status == ParseStatus::kComplete && rr.consumed == rebuilt.size());
  FUZZ_CHECK(re.method == h.method && re.target == h.target && re.path == h.path &&
             re.query == h.query && re.host == h.host && re.version_minor == h.version_minor);
  FUZZ_CHECK(re.body == h.body && re.content_length == h.content_length);
  FUZZ_CHECK(re.flags.keep_alive == h.flags.keep_alive && re.flags.upgrade == h.flags.upgrade &&
             re.flags.expect_continue == h.flags.expect_continue);
  FUZZ_CHECK(re.upgrade_protocol == h.upgrade_protocol);
  FUZZ_CHECK(re.headers.size() == h.headers.size());
  for (size_t i = 0; i < h.headers.size(); ++i) {
    FUZZ_CHECK(re.headers[i].name == h.headers[i].name);
    FUZZ_CHECK(re.headers[i].value == h.headers[i].value);
  }
}

void run(std::string_view in, const ParserLimits& lim) {
  RequestHead h;
  const ParseResult r = parse_request_head(in, lim, h);
  switch (r.status) {
    case ParseStatus::kComplete:
      check_complete(in, r, h, lim);
      break;
    case ParseStatus::kError: {
      const int s = r.error.status;
      FUZZ_CHECK(s == 400 || s == 413 || s == 414 || s == 417 || s == 431 || s == 501 || s == 505);
      FUZZ_CHECK(!r.error.reason.empty());
      break;
    }
    case ParseStatus::kIncomplete:
      FUZZ_CHECK(in.size() <= lim.max_header_bytes);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  run(in, ParserLimits{});
  ParserLimits tight;
  tight.max_request_line = 48;
  tight.max_header_bytes = 256;
  tight.max_header_count = 6;
  tight.max_body_bytes = 1000;
  run(in, tight);
  return 0;
}
