// libFuzzer target for the SecLang request body parsers: the first byte picks the parser
// (urlencoded, multipart, JSON, XML) and, for multipart, how long the Content-Type is
// (it comes first in the input). No input may crash, hang or exceed the limits.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "seclang/body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::seclang;
  if (size < 1) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  BodyLimits limits;
  limits.max_args = 64;
  limits.max_json_depth = 32;
  limits.max_files = 4;
  ParsedBody p;
  switch (data[0] % 4) {
    case 0:
      p = parse_urlencoded(in, limits, (data[0] & 0x80) ? ';' : '&');
      FUZZ_CHECK(!p.error);
      break;
    case 1: {
      // Content-Type up to the first newline, body after it.
      size_t nl = in.find('\n');
      std::string_view ct = nl == std::string_view::npos ? in : in.substr(0, nl);
      std::string_view body = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
      p = parse_multipart(body, ct, limits);
      FUZZ_CHECK(p.multipart.strict_error() || !p.multipart.parse_error);
      for (const auto& f : p.files) FUZZ_CHECK(f.size <= body.size());
      if (p.error) FUZZ_CHECK(p.error_message.rfind("Multipart parsing error: ", 0) == 0);
      break;
    }
    case 2:
      p = parse_json(in, limits);
      if (p.error) FUZZ_CHECK(p.error_message.rfind("JSON parsing error: ", 0) == 0);
      break;
    default:
      p = parse_xml(in, limits);
      FUZZ_CHECK(p.xml_text.size() <= in.size() * 4);
      break;
  }
  if ((data[0] % 4) != 1) FUZZ_CHECK(p.args.size() <= limits.max_args);
  for (const auto& a : p.args) FUZZ_CHECK(a.name.size() + a.value.size() <= size * 8 + 64);
  return 0;
}
