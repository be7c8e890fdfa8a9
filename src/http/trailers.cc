#include "http/trailers.h"

#include <array>

#include "http/field_grammar.h"

namespace rampart::http {

bool forwardable_trailer(std::string_view name) {
  static constexpr std::array<std::string_view, 16> kRefused = {"content-length",
                                                                "transfer-encoding",
                                                                "trailer",
                                                                "host",
                                                                "authorization",
                                                                "proxy-authorization",
                                                                "cache-control",
                                                                "expires",
                                                                "content-type",
                                                                "content-encoding",
                                                                "content-range",
                                                                "set-cookie",
                                                                "www-authenticate",
                                                                "location",
                                                                "age",
                                                                "date"};
  for (std::string_view refused : kRefused) {
    if (iequals(name, refused)) return false;
  }
  return !is_hop_by_hop(name);
}

void split_trailer_fields(std::string_view lines, std::vector<Header>& out) {
  while (!lines.empty()) {
    size_t end = lines.find("\r\n");
    std::string_view line = lines.substr(0, end);
    lines = end == std::string_view::npos ? std::string_view{} : lines.substr(end + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    std::string_view name = line.substr(0, colon);
    if (!forwardable_trailer(name)) continue;
    out.push_back({name, trim_ows(line.substr(colon + 1))});
  }
}

}  // namespace rampart::http
