#include "cache/owned_fields.h"

namespace rampart::cache {

void OwnedFields::assign(std::span<const http::Header> fields) {
  size_t total = 0;
  for (const http::Header& h : fields) total += h.name.size() + h.value.size();
  // Sized once, so the views made below never see the buffer move.
  bytes_.clear();
  bytes_.reserve(total);
  for (const http::Header& h : fields) bytes_.append(h.name).append(h.value);
  fields_.clear();
  fields_.reserve(fields.size());
  std::string_view all(bytes_);
  size_t at = 0;
  for (const http::Header& h : fields) {
    std::string_view name = all.substr(at, h.name.size());
    at += h.name.size();
    std::string_view value = all.substr(at, h.value.size());
    at += h.value.size();
    fields_.push_back({name, value});
  }
}

}  // namespace rampart::cache
