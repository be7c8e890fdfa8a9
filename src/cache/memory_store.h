#pragma once
// The memory tier: cached objects by key within a byte budget, sharded so workers
// rarely meet on a lock. Eviction is S3-FIFO (a small probationary FIFO, a main FIFO
// with a 2-bit reuse counter, and a ghost FIFO of recently dropped keys), which keeps
// one-hit wonders from flushing the popular objects that plain LRU loses on skewed
// traffic; LRU is kept as an option to compare against. A tag index makes purge by
// Cache-Tag proportional to the objects purged, not to the cache.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cache/cached_object.h"

namespace rampart::cache {

enum class Eviction : uint8_t { kS3Fifo, kLru };

struct MemoryStoreOptions {
  size_t capacity_bytes = 256u << 20;
  size_t shards = 16;  // rounded up to a power of two
  Eviction eviction = Eviction::kS3Fifo;
  // An object bigger than this share of a shard is not admitted: one object must not
  // flush a whole shard.
  double max_object_share = 0.125;
};

struct MemoryStoreStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t inserts = 0;
  uint64_t evictions = 0;
  uint64_t rejected = 0;  // too big to admit
};

class MemoryStore {
 public:
  using ObjectPtr = std::shared_ptr<const CachedObject>;

  explicit MemoryStore(MemoryStoreOptions options);
  ~MemoryStore();
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // The object stored under `key`, or null; a hit counts towards keeping it.
  ObjectPtr find(std::string_view key);
  // Stores (or replaces) `key`; false when the object is too big to admit.
  bool insert(std::string_view key, ObjectPtr object);
  bool erase(std::string_view key);

  size_t purge_tag(std::string_view tag);
  // Removes every object whose key satisfies `match` (purge by prefix or host).
  size_t purge_if(const std::function<bool(std::string_view key)>& match);
  size_t purge_all();

  MemoryStoreStats stats() const;
  size_t capacity_bytes() const { return capacity_; }

 private:
  struct Shard;
  Shard& shard_for(std::string_view key, uint64_t& hash);

  size_t capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
  size_t shard_mask_;
};

}  // namespace rampart::cache
