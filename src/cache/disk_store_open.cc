// DiskStore::open(): the directory layout and the index rebuilt from the files in it.

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "cache/disk_files.h"
#include "cache/disk_record.h"
#include "cache/disk_store.h"
#include "core/log.h"

namespace rampart::cache {

namespace {

// Most heads (fixed part, key, tags) fit; a longer one costs a second read.
constexpr uint64_t kFirstRead = 1024;

struct Found {
  uint64_t hash = 0;
  RecordHead head;
  uint64_t charge = 0;
  int64_t mtime_ns = 0;
};

enum class Scan : uint8_t { kOk, kCorrupt, kTooBig, kUnreadable };

// Reads and verifies the head of one file; its size must be what the record says, so a
// truncated file is caught here without reading its body.
Scan scan_file(const std::string& path, uint64_t hash, uint64_t max_bytes, Found& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Scan::kUnreadable;
  struct stat st;
  Scan result = Scan::kCorrupt;
  std::string bytes;
  RecordLayout layout;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    result = Scan::kUnreadable;
  } else if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    result = Scan::kTooBig;
  } else if (disk::read_prefix(fd, std::min<uint64_t>(st.st_size, kFirstRead), bytes) == 0 &&
             decode_layout(bytes, layout) == RecordError::kOk &&
             layout.total_bytes() == static_cast<uint64_t>(st.st_size) &&
             (bytes.size() >= layout.head_bytes() ||
              disk::read_prefix(fd, layout.head_bytes(), bytes) == 0) &&
             decode_head(bytes, layout, out.head) == RecordError::kOk &&
             disk::key_hash(out.head.key) == hash) {
    out.hash = hash;
    out.charge = disk::block_charge(static_cast<uint64_t>(st.st_size));
    out.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    result = Scan::kOk;
  }
  ::close(fd);
  return result;
}

}  // namespace

DiskOpenResult DiskStore::open() {
  DiskOpenResult result;
  if (open_.load()) {
    result.error = "already open";
    return result;
  }
  const std::string& dir = options_.directory;
  if (dir.empty() || dir.front() != '/') {
    result.error = "the directory must be an absolute path";
    return result;
  }
  // Parents first, so a fresh /var/cache/rampart/... comes into being.
  for (size_t slash = dir.find('/', 1); slash != std::string::npos;
       slash = dir.find('/', slash + 1)) {
    disk::make_directory(dir.substr(0, slash));
  }
  if (int error = disk::make_directory(dir); error != 0) {
    result.error = "cannot create " + dir + ": " + std::strerror(error);
    return result;
  }

  if (::access(dir.c_str(), R_OK | W_OK | X_OK) != 0) {
    result.error = "cannot use " + dir + ": " + std::strerror(errno);
    return result;
  }

  std::vector<Found> found;
  for (int sub = 0; sub < 256; ++sub) {
    const std::string subdir = dir + "/" + disk::hash_name(static_cast<uint64_t>(sub)).substr(14);
    // Subdirectories come into being with their first file (see write_one()).
    DIR* d = ::opendir(subdir.c_str());
    if (d == nullptr) {
      if (errno == ENOENT) continue;
      result.error = "cannot read " + subdir + ": " + std::strerror(errno);
      return result;
    }
    while (const dirent* e = ::readdir(d)) {
      const std::string_view name = e->d_name;
      const std::string path = subdir + "/" + std::string(name);
      uint64_t hash = 0;
      if (name.rfind("tmp.", 0) == 0) {  // a write a crash cut short
        if (::unlink(path.c_str()) == 0) ++result.removed;
        continue;
      }
      if (!disk::parse_hash_name(name, hash) || (hash >> 56) != static_cast<uint64_t>(sub)) {
        continue;  // not ours: left alone
      }
      Found f;
      switch (scan_file(path, hash, options_.max_object_bytes, f)) {
        case Scan::kOk:
          found.push_back(std::move(f));
          break;
        case Scan::kCorrupt:
          corrupt_.fetch_add(1, std::memory_order_relaxed);
          [[fallthrough]];
        case Scan::kTooBig:  // stored under a larger max_object_size
          if (::unlink(path.c_str()) == 0) ++result.removed;
          break;
        case Scan::kUnreadable:
          break;
      }
    }
    ::closedir(d);
  }

  // Oldest first into the recency list, so the budget evicts what was written longest ago.
  std::sort(found.begin(), found.end(),
            [](const Found& a, const Found& b) { return a.mtime_ns < b.mtime_ns; });
  std::vector<std::string> evicted;
  {
    std::lock_guard lock(index_mutex_);
    for (Found& f : found) {
      Entry entry;
      entry.key = std::move(f.head.key);
      entry.tags = std::move(f.head.tags);
      entry.charge = f.charge;
      entry.version = next_version_++;
      index_insert(f.hash, std::move(entry));
    }
    while (bytes_ > options_.capacity_bytes && !lru_.empty()) {
      auto victim = index_.find(lru_.back());
      evicted.push_back(path_of(victim->first));
      index_remove(victim);
    }
    result.objects = index_.size();
    result.bytes = bytes_;
  }
  for (const std::string& p : evicted) ::unlink(p.c_str());
  evictions_.fetch_add(evicted.size(), std::memory_order_relaxed);

  writer_ = std::thread([this] { writer_loop(); });
  open_.store(true, std::memory_order_release);
  result.ok = true;
  core::log(core::LogLevel::kInfo, "disk cache: {} holds {} objects ({} bytes), {} files removed",
            dir, result.objects, result.bytes, result.removed);
  return result;
}

}  // namespace rampart::cache
