#pragma once
// The `Cache-Tag` response field: comma-separated tags an origin attaches to a response
// so an operator can purge everything carrying one.

#include <span>
#include <string>
#include <vector>

#include "http/message.h"

namespace rampart::cache {

inline constexpr size_t kMaxCacheTags = 64;  // more are ignored

std::vector<std::string> parse_cache_tags(std::span<const http::Header> headers);

}  // namespace rampart::cache
