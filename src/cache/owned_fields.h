#pragma once
// Header fields copied into one owned buffer, handed out as http::Header views into it:
// one allocation for every name and value of a stored or collapsing response. Neither
// copyable nor movable, since the views point into the buffer.

#include <span>
#include <string>
#include <vector>

#include "http/message.h"

namespace rampart::cache {

class OwnedFields {
 public:
  OwnedFields() = default;
  OwnedFields(const OwnedFields&) = delete;
  OwnedFields& operator=(const OwnedFields&) = delete;

  // Replaces the fields with copies of `fields`.
  void assign(std::span<const http::Header> fields);
  std::span<const http::Header> view() const { return fields_; }
  // Heap bytes held, for memory budgets.
  size_t heap_bytes() const {
    return bytes_.capacity() + fields_.capacity() * sizeof(http::Header);
  }

 private:
  std::string bytes_;
  std::vector<http::Header> fields_;
};

}  // namespace rampart::cache
