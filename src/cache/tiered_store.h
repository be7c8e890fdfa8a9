#pragma once
// The cache as the request path sees it: the memory tier in front of an optional disk
// tier. A memory miss looks on disk and promotes what it finds; a store goes to memory
// at once and is queued for disk; a purge reaches both.

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

#include "cache/disk_store.h"
#include "cache/memory_store.h"

namespace rampart::cache {

class TieredStore {
 public:
  using ObjectPtr = std::shared_ptr<const CachedObject>;

  // `disk` may be null: memory only. It must be open()ed already.
  TieredStore(std::unique_ptr<MemoryStore> memory, std::unique_ptr<DiskStore> disk);

  ObjectPtr find(std::string_view key);
  void insert(std::string_view key, const ObjectPtr& object);
  void erase(std::string_view key);

  // Each returns how many objects went (an object in both tiers counts once as best it
  // can: the larger of the two tiers' counts).
  size_t purge_tag(std::string_view tag);
  size_t purge_if(const std::function<bool(std::string_view key)>& match);
  size_t purge_all();

  MemoryStore& memory() { return *memory_; }
  DiskStore* disk() { return disk_.get(); }

 private:
  std::unique_ptr<MemoryStore> memory_;
  std::unique_ptr<DiskStore> disk_;
};

}  // namespace rampart::cache
