#pragma once
// One stored response: status, header fields, body and the times the freshness
// arithmetic needs. Immutable once built and shared read-only by every request that
// hits it; header fields are views into one owned buffer (one allocation, and the
// semantics functions take them as http::Header spans).

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/owned_fields.h"
#include "http/message.h"

namespace rampart::cache {

class CachedObject {
 public:
  // `headers` are copied into the object's own storage.
  // `vary_key` is the secondary key of the request that fetched it (empty: no Vary).
  // `edge_lifetime` is the lifetime a cache rule gave it (seconds; negative: none, the
  // stored fields decide).
  CachedObject(int status, std::span<const http::Header> headers, std::string body,
               int64_t request_time, int64_t response_time, std::vector<std::string> tags = {},
               std::string vary_key = {}, int64_t edge_lifetime = -1);
  CachedObject(const CachedObject&) = delete;
  CachedObject& operator=(const CachedObject&) = delete;

  int status() const { return status_; }
  std::span<const http::Header> headers() const { return headers_.view(); }
  std::string_view body() const { return body_; }
  int64_t request_time() const { return request_time_; }          // seconds, when the request left
  int64_t response_time() const { return response_time_; }        // seconds, when the answer came
  const std::vector<std::string>& tags() const { return tags_; }  // Cache-Tag values
  const std::string& vary_key() const { return vary_key_; }
  // The freshness lifetime a cache rule set at store time, replacing the one the stored
  // fields give (so also their no-cache and must-revalidate); negative when none.
  int64_t edge_lifetime() const { return edge_lifetime_; }

  // The body in a content coding (compress::Coding's value as the slot), made the first
  // time a client asks for it and kept for the object's life; null until then. Not
  // charged against the budget (compressed text is a fraction of the body).
  static constexpr size_t kEncodingSlots = 4;
  std::shared_ptr<const std::string> encoded_body(size_t slot) const {
    return slot < kEncodingSlots ? encoded_[slot].load(std::memory_order_acquire) : nullptr;
  }
  void set_encoded_body(size_t slot, std::shared_ptr<const std::string> body) const {
    if (slot < kEncodingSlots) encoded_[slot].store(std::move(body), std::memory_order_release);
  }

  // Bytes charged against the memory budget: everything the object owns plus its
  // bookkeeping, so the budget bounds real memory and not just bodies.
  size_t charge() const { return charge_; }

 private:
  int status_;
  OwnedFields headers_;
  std::string body_;
  int64_t request_time_;
  int64_t response_time_;
  std::vector<std::string> tags_;
  std::string vary_key_;
  int64_t edge_lifetime_;
  size_t charge_;
  mutable std::array<std::atomic<std::shared_ptr<const std::string>>, kEncodingSlots> encoded_;
};

}  // namespace rampart::cache
