#pragma once
// The disk tier: cached objects as files (disk_record.h) under one directory, within a
// byte budget, behind an in-memory index that open() rebuilds from the files so a
// restart keeps a warm cache.
//
// Workers never wait on disk writes: store_async() hands the object to a bounded queue
// that the store's own writer thread drains (temp file, then rename, so a reader sees
// a whole file or none). load() reads on the calling thread and verifies the record
// (checksums, key); a corrupt or truncated file is a miss, removed and counted, never
// returned. A failed write (disk full, I/O error, ...) stops storing for
// `retry_interval`, logged once per interval; loads go on meanwhile.
//
// Layout: <directory>/<first byte of the key's XXH3-64, 2 hex>/<the hash, 16 hex>, each
// subdirectory made with its first file.
// Two keys with one hash share a file; the key inside tells them apart (the later
// store wins). Nothing else in the directory is touched: only those names, and
// `tmp.*` files in the subdirectories, which are leftovers of a crash.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cache/cached_object.h"

namespace rampart::cache {

struct DiskStoreOptions {
  std::string directory;  // created (with parents) by open()
  uint64_t capacity_bytes = 1ull << 30;
  uint64_t max_object_bytes = 8ull << 20;  // an object whose record is bigger is not stored
  size_t queue_objects = 1024;             // store_async() drops beyond either bound
  uint64_t queue_bytes = 64ull << 20;      // by CachedObject::charge()
  std::chrono::milliseconds retry_interval{30'000};  // storing paused after a write error
  // Tests only: called before each write with the final path; a non-zero errno fails
  // that write as if the file system had.
  std::function<int(std::string_view path)> inject_write_error;
};

struct DiskStoreStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;  // file sizes rounded up to 4 KiB blocks
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t writes = 0;
  uint64_t write_errors = 0;
  uint64_t dropped = 0;    // queue full, storing paused, purged while queued, or shut down
  uint64_t rejected = 0;   // bigger than max_object_bytes or the record's bounds
  uint64_t corrupt = 0;    // files that failed verification, at open() or on load
  uint64_t evictions = 0;  // removed to keep the budget
  uint64_t queued = 0;     // waiting for the writer now
  bool storing = false;    // false while paused after a write error (or before open)
};

struct DiskOpenResult {
  bool ok = false;
  std::string error;     // why the directory cannot be used, when !ok
  uint64_t objects = 0;  // indexed from existing files
  uint64_t bytes = 0;    // their charge
  uint64_t removed = 0;  // corrupt, truncated or leftover temp files deleted
};

class DiskStore {
 public:
  using ObjectPtr = std::shared_ptr<const CachedObject>;

  explicit DiskStore(DiskStoreOptions options);
  // Stops the writer: the write in progress finishes, what is still queued is dropped.
  ~DiskStore();
  DiskStore(const DiskStore&) = delete;
  DiskStore& operator=(const DiskStore&) = delete;

  // Creates the directory, indexes the files already there (reading only each record's
  // head) and starts the writer. Call once, before the other calls; until it has
  // succeeded, load() misses and store_async() drops.
  DiskOpenResult open();

  // The object stored under `key`, read and verified now on the calling thread; null on
  // a miss, including a file that failed verification (it is removed).
  ObjectPtr load(std::string_view key);
  // Queues `object` to be written under `key`; never blocks on I/O. False when it was
  // dropped or rejected instead.
  bool store_async(std::string_view key, ObjectPtr object);

  // Purges: each removes the matching objects' files and the matching objects still
  // queued, and returns how many indexed objects it removed.
  bool erase(std::string_view key);
  size_t purge_tag(std::string_view tag);
  size_t purge_if(const std::function<bool(std::string_view key)>& match);
  size_t purge_all();

  // Waits until the queue is empty and the writer idle, or `timeout`; true when idle.
  // For tests, benchmarks and an orderly shutdown.
  bool drain(std::chrono::milliseconds timeout);

  DiskStoreStats stats() const;
  const DiskStoreOptions& options() const { return options_; }

 private:
  struct Entry {
    std::string key;
    std::vector<std::string> tags;
    uint64_t charge = 0;
    uint64_t version = 0;  // which write produced the file, to tell a replaced file apart
    std::list<uint64_t>::iterator lru;
  };
  struct Pending {
    std::string key;
    ObjectPtr object;
    uint64_t epoch = 0;
  };

  std::string path_of(uint64_t hash) const;
  void writer_loop();
  void write_one(Pending item);
  void pause_storing(int error, std::string_view what);
  // Index edits; the caller holds index_mutex_.
  void index_insert(uint64_t hash, Entry entry);
  void index_remove(std::unordered_map<uint64_t, Entry>::iterator it);
  // Removes matching entries and queued items; the caller holds io_mutex_.
  size_t purge_matching(const std::function<bool(const Entry&)>& match,
                        const std::function<bool(std::string_view key)>& queued_match);

  DiskStoreOptions options_;
  std::atomic<bool> open_{false};

  // The index: lookups from every worker, edits from the writer and purges.
  mutable std::mutex index_mutex_;
  std::unordered_map<uint64_t, Entry> index_;
  std::unordered_map<std::string, std::unordered_set<uint64_t>> tags_;
  std::list<uint64_t> lru_;  // most recently used at the front
  uint64_t bytes_ = 0;
  uint64_t next_version_ = 1;

  // Held by the writer for one write (temp file to index) and by purges throughout, so a
  // purge never interleaves with a write.
  std::mutex io_mutex_;

  mutable std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::condition_variable idle_cv_;
  std::deque<Pending> queue_;
  uint64_t queue_charge_ = 0;
  bool writing_ = false;
  bool stopping_ = false;
  // Bumped by every purge (under queue_mutex_): an item taken off the queue before a
  // purge is not written after it.
  uint64_t epoch_ = 0;
  std::thread writer_;

  std::atomic<int64_t> paused_until_ms_{0};  // steady clock; 0 = storing
  std::atomic<uint64_t> failures_while_paused_{0};
  uint64_t temp_sequence_ = 0;  // writer thread only

  std::atomic<uint64_t> hits_{0}, misses_{0}, writes_{0}, write_errors_{0}, dropped_{0},
      rejected_{0}, corrupt_{0}, evictions_{0};
};

}  // namespace rampart::cache
