#include "cache/cached_object.h"

namespace rampart::cache {

CachedObject::CachedObject(int status, std::span<const http::Header> headers, std::string body,
                           int64_t request_time, int64_t response_time,
                           std::vector<std::string> tags, std::string vary_key,
                           int64_t edge_lifetime)
    : status_(status),
      body_(std::move(body)),
      request_time_(request_time),
      response_time_(response_time),
      tags_(std::move(tags)),
      vary_key_(std::move(vary_key)),
      edge_lifetime_(edge_lifetime) {
  headers_.assign(headers);
  charge_ = sizeof(*this) + headers_.heap_bytes() + body_.capacity();
  for (const std::string& t : tags_) charge_ += sizeof(std::string) + t.capacity();
  charge_ += vary_key_.capacity();
}

}  // namespace rampart::cache
