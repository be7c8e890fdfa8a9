#pragma once
// Per-evaluation memory: an arena for computed strings and arrays, and the request's
// query arguments and cookies, parsed at most once however many rules read them.

#include <cstddef>
#include <memory_resource>
#include <optional>
#include <span>
#include <string_view>

namespace rampart::rules {

struct Request;

struct NameValue {
  std::string_view name;
  std::string_view value;
};

class Scratch {
 public:
  Scratch() : arena_(buffer_, sizeof buffer_) {}
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  char* chars(size_t n) { return static_cast<char*>(arena_.allocate(n == 0 ? 1 : n, 1)); }
  std::string_view copy(std::string_view s) {
    char* p = chars(s.size());
    std::copy(s.begin(), s.end(), p);
    return {p, s.size()};
  }
  template <typename T>
  std::span<T> array(size_t n) {
    if (n == 0) return {};
    return {static_cast<T*>(arena_.allocate(n * sizeof(T), alignof(T))), n};
  }

  // Query arguments and cookies, names and values percent-decoded (args) as a
  // browser's form encoding has them.
  std::span<const NameValue> query_args(const Request& request);
  std::span<const NameValue> cookies(const Request& request);

 private:
  alignas(16) std::byte buffer_[2048];
  std::pmr::monotonic_buffer_resource arena_;
  std::optional<std::span<const NameValue>> args_;
  std::optional<std::span<const NameValue>> cookies_;
};

}  // namespace rampart::rules
