#include "cache/tiered_store.h"

#include <algorithm>

namespace rampart::cache {

TieredStore::TieredStore(std::unique_ptr<MemoryStore> memory, std::unique_ptr<DiskStore> disk)
    : memory_(std::move(memory)), disk_(std::move(disk)) {}

TieredStore::ObjectPtr TieredStore::find(std::string_view key) {
  ObjectPtr object = memory_->find(key);
  if (object || !disk_) return object;
  object = disk_->load(key);
  if (object) memory_->insert(key, object);
  return object;
}

void TieredStore::insert(std::string_view key, const ObjectPtr& object) {
  memory_->insert(key, object);
  if (disk_) disk_->store_async(key, object);
}

void TieredStore::erase(std::string_view key) {
  memory_->erase(key);
  if (disk_) disk_->erase(key);
}

size_t TieredStore::purge_tag(std::string_view tag) {
  size_t n = memory_->purge_tag(tag);
  return disk_ ? std::max(n, disk_->purge_tag(tag)) : n;
}

size_t TieredStore::purge_if(const std::function<bool(std::string_view key)>& match) {
  size_t n = memory_->purge_if(match);
  return disk_ ? std::max(n, disk_->purge_if(match)) : n;
}

size_t TieredStore::purge_all() {
  size_t n = memory_->purge_all();
  return disk_ ? std::max(n, disk_->purge_all()) : n;
}

}  // namespace rampart::cache
