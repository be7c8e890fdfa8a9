#pragma once
// A data feed: a generated input file (IP ranges, signature keys, ...) that changes
// while rampart serves. Every version goes through load → size cap → parse and schema
// check (the caller's compiler) → entry cap → change-ratio check against the running
// version → swap. A refused or held-back version never replaces the running one, so a
// feed that suddenly doubles (the 18 November 2025 failure) keeps the previous data
// serving until an operator accepts it. No HTTP types.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace rampart::feeds {

struct Limits {
  uint64_t max_bytes = 1u << 20;
  uint64_t max_entries = 100'000;
  // A new version whose byte size or entry count differs from the running one's by more
  // than this fraction (0.5: ±50%) is held back; 0 disables the check.
  double max_change = 0.5;
};

// What a compiler makes of a file's text: the compiled data and its entry count, or an
// error. `max_entries` lets it stop early instead of building a huge table first.
struct Compiled {
  std::shared_ptr<const void> data;
  uint64_t entries = 0;
  std::string error;  // non-empty: the file is malformed
};
using Compiler = std::function<Compiled(std::string_view text, uint64_t max_entries)>;

// The outcome of one look at the file, also the `result` label of the metric.
enum class Result : uint8_t {
  kApplied,         // a new version serves
  kUnchanged,       // same content as the running version
  kMissing,         // the file cannot be read
  kTooBig,          // over max_bytes
  kTooManyEntries,  // over max_entries
  kMalformed,       // the compiler refused it
  kHeldBack,        // size or entry count changed beyond max_change
  kAccepted,        // an operator accepted a held-back version
};
inline constexpr int kResultCount = 8;
std::string_view result_name(Result r);

struct State {
  std::string name, path;
  std::string version;  // content hash of the running version; empty: none yet
  uint64_t entries = 0, bytes = 0;
  int64_t applied_at = 0;  // unix seconds
  Result last_result = Result::kMissing;
  std::string last_reason;  // why the last version was refused or held back
  std::string held_version;
  uint64_t held_entries = 0, held_bytes = 0;
  bool checked = false;  // the file was looked at at least once
};

class Feed {
 public:
  Feed(std::string name, std::string path, Limits limits, Compiler compiler);

  const std::string& name() const { return name_; }
  const std::string& path() const { return path_; }

  // The running version's compiled data (null until one was applied). Lock-free.
  std::shared_ptr<const void> current() const { return current_.load(std::memory_order_acquire); }
  template <typename T>
  std::shared_ptr<const T> get() const {
    return std::static_pointer_cast<const T>(current());
  }

  // Looks at the file: reads it when its size, mtime or inode changed since the last
  // look (or always with `force`, e.g. on a config reload). Thread-safe.
  Result refresh(bool force);
  // Applies the held-back version; false when there is none.
  bool accept_held();
  void set_limits(const Limits& limits);

  // Something that holds a copy of the running version (a named list's live set): called
  // now with the running version, when there is one, and after every swap, under the
  // feed's lock. It returns false once its holder is gone, and is then dropped.
  using Listener = std::function<bool(const std::shared_ptr<const void>&)>;
  void listen(Listener listener);

  State state() const;
  uint64_t count(Result r) const { return counts_[static_cast<int>(r)].load(); }

 private:
  Result finish(Result r, std::string reason);
  void notify_locked();

  const std::string name_, path_;
  const Compiler compiler_;
  mutable std::mutex mu_;  // everything below but current_ and counts_
  Limits limits_;
  State state_;
  struct FileStamp {
    int64_t mtime_ns = -1;
    uint64_t size = 0, inode = 0;
    bool operator==(const FileStamp&) const = default;
  } stamp_;
  std::shared_ptr<const void> held_;
  std::vector<Listener> listeners_;
  std::atomic<std::shared_ptr<const void>> current_;
  std::atomic<uint64_t> counts_[kResultCount] = {};
};

}  // namespace rampart::feeds
