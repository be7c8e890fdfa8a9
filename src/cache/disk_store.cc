// DiskStore: loads, the writer thread and purges. open() and the index rebuild are in
// disk_store_open.cc.

#include "cache/disk_store.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cache/disk_files.h"
#include "cache/disk_record.h"
#include "core/log.h"

namespace rampart::cache {

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

DiskStore::DiskStore(DiskStoreOptions options) : options_(std::move(options)) {}

DiskStore::~DiskStore() {
  {
    std::lock_guard lock(queue_mutex_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
}

std::string DiskStore::path_of(uint64_t hash) const {
  std::string name = disk::hash_name(hash);
  std::string path = options_.directory;
  path += '/';
  path.append(name, 0, 2);
  path += '/';
  path += name;
  return path;
}

// ---- the index (index_mutex_ held) ----

void DiskStore::index_insert(uint64_t hash, Entry entry) {
  auto it = index_.find(hash);
  if (it != index_.end()) index_remove(it);
  lru_.push_front(hash);
  entry.lru = lru_.begin();
  bytes_ += entry.charge;
  for (const std::string& tag : entry.tags) tags_[tag].insert(hash);
  index_.emplace(hash, std::move(entry));
}

void DiskStore::index_remove(std::unordered_map<uint64_t, Entry>::iterator it) {
  const uint64_t hash = it->first;
  for (const std::string& tag : it->second.tags) {
    auto t = tags_.find(tag);
    if (t == tags_.end()) continue;
    t->second.erase(hash);
    if (t->second.empty()) tags_.erase(t);
  }
  lru_.erase(it->second.lru);
  bytes_ -= it->second.charge;
  index_.erase(it);
}

// ---- loads ----

DiskStore::ObjectPtr DiskStore::load(std::string_view key) {
  if (!open_.load(std::memory_order_acquire)) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  const uint64_t hash = disk::key_hash(key);
  uint64_t version = 0;
  {
    std::lock_guard lock(index_mutex_);
    auto it = index_.find(hash);
    if (it == index_.end() || it->second.key != key) {
      misses_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    version = it->second.version;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }

  const std::string path = path_of(hash);
  std::string bytes;
  const int error = disk::read_file(path, options_.max_object_bytes, bytes);
  DecodedRecord record;
  RecordError bad = RecordError::kOk;
  if (error == 0) {
    bad = decode_record(bytes, record);
    if (bad == RecordError::kOk && record.key != key) bad = RecordError::kBadField;
    if (bad == RecordError::kOk) {
      hits_.fetch_add(1, std::memory_order_relaxed);
      return std::move(record.object);
    }
  }
  misses_.fetch_add(1, std::memory_order_relaxed);
  if (error != 0 && error != ENOENT && error != EFBIG) {
    // A read error is the disk's, not the file's: keep the file, try again next time.
    static core::LogRateLimiter limiter("disk cache read failed", 1);
    if (int64_t suppressed = limiter.admit(); suppressed >= 0) {
      core::log(core::LogLevel::kWarn, "disk cache: reading {} failed: {} ({} more suppressed)",
                path, std::strerror(error), suppressed);
    }
    return nullptr;
  }
  // Gone, oversized or corrupt. The file may have been replaced since the lookup; only
  // the version that was looked up is dropped.
  std::lock_guard lock(index_mutex_);
  auto it = index_.find(hash);
  if (it == index_.end() || it->second.version != version) return nullptr;
  if (error == 0) {
    corrupt_.fetch_add(1, std::memory_order_relaxed);
    static core::LogRateLimiter limiter("disk cache corrupt file", 1);
    if (int64_t suppressed = limiter.admit(); suppressed >= 0) {
      core::log(core::LogLevel::kWarn,
                "disk cache: {} is corrupt ({}), removed ({} more suppressed)", path,
                record_error_name(bad), suppressed);
    }
  }
  index_remove(it);
  if (error != ENOENT) ::unlink(path.c_str());
  return nullptr;
}

// ---- the writer ----

bool DiskStore::store_async(std::string_view key, ObjectPtr object) {
  if (!open_.load(std::memory_order_acquire) || object == nullptr || key.empty()) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (object->body().size() > options_.max_object_bytes) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const int64_t paused_until = paused_until_ms_.load(std::memory_order_relaxed);
  if (paused_until != 0 && now_ms() < paused_until) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  const uint64_t charge = object->charge();
  {
    std::lock_guard lock(queue_mutex_);
    if (stopping_ || queue_.size() >= options_.queue_objects ||
        queue_charge_ + charge > options_.queue_bytes) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back(Pending{std::string(key), std::move(object), 0});
    queue_charge_ += charge;
  }
  queue_cv_.notify_one();
  return true;
}

void DiskStore::writer_loop() {
  std::unique_lock lock(queue_mutex_);
  for (;;) {
    queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) {
      dropped_.fetch_add(queue_.size(), std::memory_order_relaxed);
      queue_.clear();
      queue_charge_ = 0;
      idle_cv_.notify_all();
      return;
    }
    Pending item = std::move(queue_.front());
    queue_.pop_front();
    queue_charge_ -= item.object->charge();
    item.epoch = epoch_;
    writing_ = true;
    lock.unlock();
    write_one(std::move(item));
    lock.lock();
    writing_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
}

void DiskStore::write_one(Pending item) {
  const int64_t paused_until = paused_until_ms_.load(std::memory_order_relaxed);
  if (paused_until != 0 && now_ms() < paused_until) {
    dropped_.fetch_add(1, std::memory_order_relaxed);  // queued before the pause began
    return;
  }
  const std::string bytes = encode_record(item.key, *item.object);
  if (bytes.empty() || bytes.size() > options_.max_object_bytes) {
    rejected_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard io(io_mutex_);
  {
    std::lock_guard lock(queue_mutex_);
    if (epoch_ != item.epoch) {  // a purge ran since this was taken off the queue
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  const uint64_t hash = disk::key_hash(item.key);
  const std::string path = path_of(hash);
  // Beside its final name, so the rename stays within one file system.
  const std::string temp =
      path.substr(0, path.size() - 16) + "tmp." + std::to_string(++temp_sequence_);
  int error = options_.inject_write_error ? options_.inject_write_error(path) : 0;
  if (error == 0) error = disk::write_new_file(temp, bytes);
  if (error == ENOENT) {  // the subdirectory's first file
    error = disk::make_directory(path.substr(0, path.size() - 17));
    if (error == 0) error = disk::write_new_file(temp, bytes);
  }
  if (error != 0) {
    pause_storing(error, temp);
    return;
  }

  std::vector<std::string> evicted;
  {
    std::lock_guard lock(index_mutex_);
    if (::rename(temp.c_str(), path.c_str()) != 0) {
      error = errno;
      ::unlink(temp.c_str());
    } else {
      Entry entry;
      entry.key = std::move(item.key);
      entry.tags = item.object->tags();
      entry.charge = disk::block_charge(bytes.size());
      entry.version = next_version_++;
      index_insert(hash, std::move(entry));
      while (bytes_ > options_.capacity_bytes && !lru_.empty()) {
        auto victim = index_.find(lru_.back());
        evicted.push_back(path_of(victim->first));
        index_remove(victim);
      }
    }
  }
  if (error != 0) {
    pause_storing(error, path);
    return;
  }
  // Outside the index lock: a load of an evicted key already misses in the index.
  for (const std::string& p : evicted) ::unlink(p.c_str());
  evictions_.fetch_add(evicted.size(), std::memory_order_relaxed);
  writes_.fetch_add(1, std::memory_order_relaxed);
  if (paused_until_ms_.exchange(0, std::memory_order_relaxed) != 0) {
    core::log(core::LogLevel::kInfo, "disk cache: storing in {} resumed", options_.directory);
  }
}

// Called at most once per interval: once paused, nothing is written (so nothing fails)
// until the interval is over.
void DiskStore::pause_storing(int error, std::string_view path) {
  write_errors_.fetch_add(1, std::memory_order_relaxed);
  paused_until_ms_.store(now_ms() + options_.retry_interval.count(), std::memory_order_relaxed);
  core::log(core::LogLevel::kWarn, "disk cache: writing {} failed: {}; storing paused for {} ms",
            path, std::strerror(error), options_.retry_interval.count());
}

bool DiskStore::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(queue_mutex_);
  return idle_cv_.wait_for(lock, timeout,
                           [&] { return (queue_.empty() && !writing_) || stopping_; });
}

// ---- purges ----

size_t DiskStore::purge_matching(const std::function<bool(const Entry&)>& match,
                                 const std::function<bool(std::string_view key)>& queued_match) {
  {
    std::lock_guard lock(queue_mutex_);
    ++epoch_;
    const size_t before = queue_.size();
    std::erase_if(queue_, [&](const Pending& p) {
      if (!queued_match(p.key)) return false;
      queue_charge_ -= p.object->charge();
      return true;
    });
    dropped_.fetch_add(before - queue_.size(), std::memory_order_relaxed);
  }
  std::vector<std::string> paths;
  {
    std::lock_guard lock(index_mutex_);
    for (auto it = index_.begin(); it != index_.end();) {
      auto next = std::next(it);
      if (match(it->second)) {
        paths.push_back(path_of(it->first));
        index_remove(it);
      }
      it = next;
    }
  }
  for (const std::string& p : paths) ::unlink(p.c_str());
  return paths.size();
}

bool DiskStore::erase(std::string_view key) {
  std::lock_guard io(io_mutex_);
  const uint64_t hash = disk::key_hash(key);
  {
    std::lock_guard lock(queue_mutex_);
    ++epoch_;
    std::erase_if(queue_, [&](const Pending& p) {
      if (p.key != key) return false;
      queue_charge_ -= p.object->charge();
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return true;
    });
  }
  {
    std::lock_guard lock(index_mutex_);
    auto it = index_.find(hash);
    if (it == index_.end() || it->second.key != key) return false;
    index_remove(it);
  }
  ::unlink(path_of(hash).c_str());
  return true;
}

size_t DiskStore::purge_tag(std::string_view tag) {
  std::lock_guard io(io_mutex_);
  {
    std::lock_guard lock(queue_mutex_);
    ++epoch_;
    std::erase_if(queue_, [&](const Pending& p) {
      for (const std::string& t : p.object->tags()) {
        if (t != tag) continue;
        queue_charge_ -= p.object->charge();
        dropped_.fetch_add(1, std::memory_order_relaxed);
        return true;
      }
      return false;
    });
  }
  // Through the tag index: the cost is the objects purged, not the cache.
  std::vector<std::string> paths;
  {
    std::lock_guard lock(index_mutex_);
    auto t = tags_.find(std::string(tag));
    if (t == tags_.end()) return 0;
    const std::vector<uint64_t> hashes(t->second.begin(), t->second.end());
    for (uint64_t hash : hashes) {
      paths.push_back(path_of(hash));
      index_remove(index_.find(hash));
    }
  }
  for (const std::string& p : paths) ::unlink(p.c_str());
  return paths.size();
}

size_t DiskStore::purge_if(const std::function<bool(std::string_view key)>& match) {
  std::lock_guard io(io_mutex_);
  return purge_matching([&](const Entry& e) { return match(e.key); }, match);
}

size_t DiskStore::purge_all() {
  std::lock_guard io(io_mutex_);
  return purge_matching([](const Entry&) { return true; }, [](std::string_view) { return true; });
}

DiskStoreStats DiskStore::stats() const {
  DiskStoreStats s;
  {
    std::lock_guard lock(index_mutex_);
    s.objects = index_.size();
    s.bytes = bytes_;
  }
  {
    std::lock_guard lock(queue_mutex_);
    s.queued = queue_.size() + (writing_ ? 1 : 0);
  }
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.writes = writes_.load(std::memory_order_relaxed);
  s.write_errors = write_errors_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.rejected = rejected_.load(std::memory_order_relaxed);
  s.corrupt = corrupt_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  const int64_t paused_until = paused_until_ms_.load(std::memory_order_relaxed);
  s.storing =
      open_.load(std::memory_order_acquire) && (paused_until == 0 || now_ms() >= paused_until);
  return s;
}

}  // namespace rampart::cache
