#include "cache/cache_tags.h"

#include "cache/field_text.h"

namespace rampart::cache {

std::vector<std::string> parse_cache_tags(std::span<const http::Header> headers) {
  std::vector<std::string> tags;
  detail::for_each_field(headers, "cache-tag", [&](std::string_view value) {
    detail::for_each_list_element(value, [&](std::string_view tag) {
      if (tags.size() >= kMaxCacheTags) return false;
      tags.emplace_back(tag);
      return true;
    });
  });
  return tags;
}

}  // namespace rampart::cache
