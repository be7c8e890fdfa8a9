#include "feeds/feed.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <chrono>
#include <cmath>

#include "core/log.h"

namespace rampart::feeds {

std::string_view result_name(Result r) {
  switch (r) {
    case Result::kApplied:
      return "applied";
    case Result::kUnchanged:
      return "unchanged";
    case Result::kMissing:
      return "missing";
    case Result::kTooBig:
      return "too_big";
    case Result::kTooManyEntries:
      return "too_many_entries";
    case Result::kMalformed:
      return "malformed";
    case Result::kHeldBack:
      return "held_back";
    case Result::kAccepted:
      return "accepted";
  }
  return "unknown";
}

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string content_version(std::string_view text) {
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx",
           static_cast<unsigned long long>(XXH3_64bits(text.data(), text.size())));
  return buf;
}

// |now - before| / before beyond `ratio`; a first version (before 0) always passes.
bool beyond(uint64_t before, uint64_t now, double ratio) {
  if (ratio <= 0 || before == 0) return false;
  double change = std::fabs(static_cast<double>(now) - static_cast<double>(before)) /
                  static_cast<double>(before);
  return change > ratio;
}

}  // namespace

Feed::Feed(std::string name, std::string path, Limits limits, Compiler compiler)
    : name_(std::move(name)),
      path_(std::move(path)),
      compiler_(std::move(compiler)),
      limits_(limits) {
  state_.name = name_;
  state_.path = path_;
}

void Feed::set_limits(const Limits& limits) {
  std::lock_guard lock(mu_);
  limits_ = limits;
}

Result Feed::finish(Result r, std::string reason) {
  counts_[static_cast<int>(r)].fetch_add(1, std::memory_order_relaxed);
  state_.last_result = r;
  state_.checked = true;
  if (r == Result::kApplied || r == Result::kAccepted) {
    core::log(core::LogLevel::kInfo, "feed {}: {} version {} ({} entries, {} bytes) from {}", name_,
              result_name(r), state_.version, state_.entries, state_.bytes, path_);
    state_.last_reason.clear();
  } else if (r != Result::kUnchanged) {
    core::log(core::LogLevel::kWarn, "feed {}: {} refused ({}): {}; {}", name_, path_,
              result_name(r), reason,
              state_.version.empty() ? "no version serves yet"
                                     : "version " + state_.version + " keeps serving");
    state_.last_reason = std::move(reason);
  }
  return r;
}

Result Feed::refresh(bool force) {
  std::lock_guard lock(mu_);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    FileStamp gone;
    if (!force && stamp_ == gone && state_.checked) return Result::kUnchanged;
    stamp_ = gone;
    return finish(Result::kMissing, "cannot read the file");
  }
  FileStamp stamp{static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
                  static_cast<uint64_t>(st.st_size), static_cast<uint64_t>(st.st_ino)};
  if (!force && stamp == stamp_) return Result::kUnchanged;
  stamp_ = stamp;
  if (stamp.size > limits_.max_bytes) {
    return finish(Result::kTooBig, std::to_string(stamp.size) + " bytes, over the limit of " +
                                       std::to_string(limits_.max_bytes));
  }
  // Read at most one byte past the cap: a file that grew since the stat is still capped.
  std::string text;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return finish(Result::kMissing, "cannot open the file");
  text.resize(limits_.max_bytes + 1);
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(got);
  if (got > limits_.max_bytes) {
    return finish(Result::kTooBig,
                  "over the limit of " + std::to_string(limits_.max_bytes) + " bytes");
  }
  std::string version = content_version(text);
  if (version == state_.version) {
    // Back to the running version: whatever was held back is moot.
    held_.reset();
    state_.held_version.clear();
    return finish(Result::kUnchanged, {});
  }
  Compiled c = compiler_(text, limits_.max_entries);
  if (!c.error.empty() || c.data == nullptr)
    return finish(Result::kMalformed, c.error.empty() ? "no data" : c.error);
  if (c.entries > limits_.max_entries) {
    return finish(Result::kTooManyEntries, std::to_string(c.entries) +
                                               " entries, over the limit of " +
                                               std::to_string(limits_.max_entries));
  }
  bool has_running = !state_.version.empty();
  if (has_running && (beyond(state_.entries, c.entries, limits_.max_change) ||
                      beyond(state_.bytes, got, limits_.max_change))) {
    held_ = std::move(c.data);
    state_.held_version = version;
    state_.held_entries = c.entries;
    state_.held_bytes = got;
    return finish(Result::kHeldBack,
                  "entries " + std::to_string(state_.entries) + " -> " + std::to_string(c.entries) +
                      ", bytes " + std::to_string(state_.bytes) + " -> " + std::to_string(got) +
                      ": beyond the allowed change of " +
                      std::to_string(static_cast<int>(limits_.max_change * 100)) +
                      "%; accept it through the admin API");
  }
  held_.reset();
  state_.held_version.clear();
  state_.version = std::move(version);
  state_.entries = c.entries;
  state_.bytes = got;
  state_.applied_at = unix_now();
  current_.store(std::move(c.data), std::memory_order_release);
  notify_locked();
  return finish(Result::kApplied, {});
}

bool Feed::accept_held() {
  std::lock_guard lock(mu_);
  if (held_ == nullptr) return false;
  state_.version = std::move(state_.held_version);
  state_.held_version.clear();
  state_.entries = state_.held_entries;
  state_.bytes = state_.held_bytes;
  state_.applied_at = unix_now();
  current_.store(std::move(held_), std::memory_order_release);
  held_.reset();
  notify_locked();
  core::log(core::LogLevel::kWarn, "feed {}: held-back version accepted by the admin API", name_);
  finish(Result::kAccepted, {});
  return true;
}

void Feed::listen(Listener listener) {
  std::lock_guard lock(mu_);
  std::shared_ptr<const void> running = current();
  if (running != nullptr && !listener(running)) return;
  listeners_.push_back(std::move(listener));
}

void Feed::notify_locked() {
  std::shared_ptr<const void> running = current();
  std::erase_if(listeners_, [&](const Listener& l) { return !l(running); });
}

State Feed::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

}  // namespace rampart::feeds
