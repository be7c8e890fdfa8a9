#pragma once
// Helpers for the HTTP/1 parser tests: an outcome printed as a short string makes
// failures readable ("error 400" vs "complete 37").

#include <deque>
#include <string>
#include <string_view>

#include "http/h1_parser.h"

namespace rampart::http::testing {

// A head's views point into its input: the input is copied somewhere that outlives the
// test, so that heads of temporaries can be inspected after the call.
inline ParseResult parse(std::string_view in, RequestHead& head, const ParserLimits& limits = {}) {
  static std::deque<std::string> kept;
  return parse_request_head(kept.emplace_back(in), limits, head);
}

inline std::string describe(const ParseResult& r) {
  switch (r.status) {
    case ParseStatus::kComplete:
      return "complete " + std::to_string(r.consumed);
    case ParseStatus::kIncomplete:
      return "incomplete";
    case ParseStatus::kError:
      return "error " + std::to_string(r.error.status);
  }
  return "?";
}

inline std::string complete(size_t n) {
  return "complete " + std::to_string(n);
}
inline std::string error(int status) {
  return "error " + std::to_string(status);
}
inline const std::string kIncomplete = "incomplete";

inline std::string request(std::string_view in, const ParserLimits& limits = {}) {
  RequestHead head;
  return describe(parse_request_head(in, limits, head));
}

inline std::string response(std::string_view in, std::string_view method = "GET",
                            const ParserLimits& limits = {}) {
  ResponseHead head;
  return describe(parse_response_head(in, method, limits, head));
}

// A request head with `extra` field lines after a Host line.
inline std::string with_fields(std::string_view extra, std::string_view version = "HTTP/1.1") {
  std::string s = "GET / ";
  s += version;
  s += "\r\nHost: example.com\r\n";
  s += extra;
  s += "\r\n";
  return s;
}

}  // namespace rampart::http::testing
