// application/x-www-form-urlencoded bodies and query strings, split and decoded the way
// ModSecurity v3 does it: every separator ends a pair (so `a&&b` has an empty pair in
// the middle, a trailing separator adds none), the first '=' splits name from value,
// and %-escapes are decoded leniently (an invalid escape stays as it is).

#include <string>
#include <string_view>

#include "core/hex.h"
#include "seclang/body.h"

namespace rampart::seclang {
namespace {

std::string url_decode_lenient(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && core::hex_value(in[i + 1]) >= 0 &&
               core::hex_value(in[i + 2]) >= 0) {
      out.push_back(
          static_cast<char>(core::hex_value(in[i + 1]) * 16 + core::hex_value(in[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

ParsedBody parse_urlencoded(std::string_view body, const BodyLimits& limits, char separator) {
  ParsedBody parsed;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find(separator, start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    start = end + 1;
    // Past the limit ModSecurity skips the pair without flagging the body: rule 200007
    // (`&ARGS >= limit`) is what catches it.
    if (parsed.args.size() >= limits.max_args) continue;
    size_t eq = pair.find('=');
    Argument arg;
    if (eq == std::string_view::npos) {
      arg.name = url_decode_lenient(pair);
    } else {
      arg.name = url_decode_lenient(pair.substr(0, eq));
      arg.value = url_decode_lenient(pair.substr(eq + 1));
    }
    parsed.args.push_back(std::move(arg));
  }
  return parsed;
}

}  // namespace rampart::seclang
