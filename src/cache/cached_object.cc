#include "cache/cached_object.h"

namespace rampart::cache {

CachedObject::CachedObject(int status, std::span<const http::Header> headers, std::string body,
                           int64_t request_time, int64_t response_time,
                           std::vector<std::string> tags, std::string vary_key)
    : status_(status),
      body_(std::move(body)),
      request_time_(request_time),
      response_time_(response_time),
      tags_(std::move(tags)),
      vary_key_(std::move(vary_key)) {
  size_t bytes = 0;
  for (const http::Header& h : headers) bytes += h.name.size() + h.value.size();
  header_bytes_.reserve(bytes);
  // Offsets first: views are made only once the buffer stops growing.
  std::vector<std::pair<size_t, size_t>> spans;
  spans.reserve(headers.size() * 2);
  for (const http::Header& h : headers) {
    spans.emplace_back(header_bytes_.size(), h.name.size());
    header_bytes_.append(h.name);
    spans.emplace_back(header_bytes_.size(), h.value.size());
    header_bytes_.append(h.value);
  }
  std::string_view all(header_bytes_);
  headers_.reserve(headers.size());
  for (size_t i = 0; i < spans.size(); i += 2) {
    headers_.push_back({all.substr(spans[i].first, spans[i].second),
                        all.substr(spans[i + 1].first, spans[i + 1].second)});
  }
  charge_ = sizeof(*this) + header_bytes_.capacity() + headers_.capacity() * sizeof(http::Header) +
            body_.capacity();
  for (const std::string& t : tags_) charge_ += sizeof(std::string) + t.capacity();
  charge_ += vary_key_.capacity();
}

}  // namespace rampart::cache
