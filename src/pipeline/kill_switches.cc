#include "pipeline/kill_switches.h"

namespace rampart::pipeline {

std::optional<uint32_t> KillSwitches::find(std::string_view name) const {
  uint32_t n = count_.load(std::memory_order_acquire);
  for (uint32_t i = 0; i < n; ++i) {
    if (names_[i] == name) return i;
  }
  return std::nullopt;
}

std::optional<uint32_t> KillSwitches::slot(std::string_view name) {
  if (auto found = find(name)) return found;
  std::lock_guard lock(mutex_);
  if (auto found = find(name)) return found;
  uint32_t n = count_.load(std::memory_order_relaxed);
  if (n >= kMaxModules) return std::nullopt;
  names_[n] = name;
  count_.store(n + 1, std::memory_order_release);
  return n;
}

bool KillSwitches::set_off(std::string_view name, bool off, bool* changed) {
  auto s = find(name);
  if (!s) return false;
  uint32_t bit = 1u << *s;
  uint32_t before = off ? off_.fetch_or(bit, std::memory_order_relaxed)
                        : off_.fetch_and(~bit, std::memory_order_relaxed);
  if (changed != nullptr) *changed = ((before & bit) != 0) != off;
  return true;
}

std::vector<std::string_view> KillSwitches::names() const {
  uint32_t n = count_.load(std::memory_order_acquire);
  return {names_.begin(), names_.begin() + n};
}

void KillSwitches::reset() {
  off_.store(0, std::memory_order_relaxed);
}

KillSwitches& kill_switches() {
  static KillSwitches switches;
  return switches;
}

}  // namespace rampart::pipeline
