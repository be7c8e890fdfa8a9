#pragma once
// The hash that turns a request's characteristics into a table key: a keyed 64-bit
// multiply-fold hash under a secret key, so the table sets keys fall in cannot be
// predicted from outside.

#include <cstdint>
#include <string_view>

namespace rampart::ratelimit {

class KeyHasher {
 public:
  KeyHasher(uint64_t k0, uint64_t k1) : k0_(k0), k1_(k1) {}

  uint64_t operator()(std::string_view bytes) const;

  // One per process, keyed from std::random_device on first use.
  static const KeyHasher& process();

 private:
  uint64_t k0_;
  uint64_t k1_;
};

}  // namespace rampart::ratelimit
