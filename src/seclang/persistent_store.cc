#include "seclang/persistent_store.h"

#include <algorithm>
#include <cstdint>

namespace rampart::seclang {
namespace {

std::string record_id(std::string_view collection, std::string_view key) {
  std::string id;
  id.reserve(collection.size() + key.size() + 1);
  id.append(collection).push_back('\0');
  id.append(key);
  return id;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void add_builtins(std::string_view key, int64_t created, int64_t updated, int64_t counter,
                  bool is_new, std::chrono::seconds timeout, PersistentStore::Values& out) {
  out["key"] = std::string(key);
  out["create_time"] = std::to_string(created);
  out["last_update_time"] = std::to_string(updated);
  out["update_counter"] = std::to_string(counter);
  out["is_new"] = std::string(1, is_new ? '1' : '0');
  out["timeout"] = std::to_string(timeout.count());
}

}  // namespace

bool PersistentStore::is_builtin_member(std::string_view name) {
  return name == "key" || name == "create_time" || name == "last_update_time" ||
         name == "update_counter" || name == "is_new" || name == "timeout";
}

PersistentStore& PersistentStore::process() {
  static PersistentStore store;
  return store;
}

void PersistentStore::load(std::string_view collection, std::string_view key, Clock::time_point now,
                           Values& out) {
  if (key.size() > options_.max_key_bytes) return;
  std::string id = record_id(collection, key);
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.records.find(id);
  if (it != s.records.end() && now - it->second.used > options_.timeout) {
    s.records.erase(it);
    it = s.records.end();
  }
  if (it == s.records.end()) {
    int64_t t = unix_now();
    add_builtins(key, t, t, 0, true, options_.timeout, out);
    return;
  }
  Record& record = it->second;
  record.used = now;
  add_builtins(key, record.created, record.updated, record.update_counter, false, options_.timeout,
               out);
  for (auto v = record.variables.begin(); v != record.variables.end();) {
    if (v->second.expires <= now) {
      v = record.variables.erase(v);
      continue;
    }
    out[v->first] = v->second.value;
    ++v;
  }
}

void PersistentStore::save(std::string_view collection, std::string_view key, const Values& before,
                           const Values& after,
                           const std::unordered_map<std::string, int64_t>& expiries,
                           Clock::time_point now) {
  bool changed = !expiries.empty();
  for (const auto& [name, value] : after) {
    if (is_builtin_member(name)) continue;
    auto old = before.find(name);
    if (old == before.end() || old->second != value) changed = true;
  }
  for (const auto& entry : before) {
    if (!is_builtin_member(entry.first) && !after.contains(entry.first)) changed = true;
  }
  if (!changed || key.size() > options_.max_key_bytes) return;
  std::string id = record_id(collection, key);
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.records.find(id);
  int64_t wall = unix_now();
  if (it == s.records.end()) {
    make_room(s, now);
    it = s.records.emplace(std::move(id), Record{}).first;
    it->second.created = wall;
  }
  Record& record = it->second;
  record.used = now;
  record.updated = wall;
  ++record.update_counter;
  for (const auto& [name, value] : after) {
    if (is_builtin_member(name)) continue;
    auto old = before.find(name);
    if (old != before.end() && old->second == value) continue;
    auto var = record.variables.find(name);
    if (var == record.variables.end()) {
      if (record.variables.size() >= options_.max_variables) continue;
      if (name.size() > options_.max_name_bytes) continue;
      var = record.variables.emplace(name, Variable{}).first;
    }
    var->second.value = value.substr(0, options_.max_value_bytes);
  }
  for (const auto& entry : before) {
    if (!after.contains(entry.first)) record.variables.erase(entry.first);
  }
  for (const auto& [name, seconds] : expiries) {
    auto var = record.variables.find(name);
    if (var == record.variables.end()) continue;
    if (seconds <= 0) {
      record.variables.erase(var);
    } else {
      // The seconds come from a macro (client input): far enough is forever, and a
      // larger count would overflow the clock's nanoseconds.
      constexpr int64_t kMaxSeconds = int64_t{10} * 365 * 24 * 3600;
      var->second.expires = now + std::chrono::seconds(std::min(seconds, kMaxSeconds));
    }
  }
}

void PersistentStore::make_room(Shard& s, Clock::time_point now) {
  size_t per_shard = options_.max_records / kShards + 1;
  if (s.records.size() < per_shard) return;
  // Sampled eviction: an expired record of the first few if there is one, else the
  // longest idle of them. Bounded work per insert, whatever the shard's size.
  auto victim = s.records.begin();
  size_t looked = 0;
  for (auto it = s.records.begin(); it != s.records.end() && looked < 16; ++it, ++looked) {
    if (now - it->second.used > options_.timeout) {
      victim = it;
      break;
    }
    if (it->second.used < victim->second.used) victim = it;
  }
  s.records.erase(victim);
}

size_t PersistentStore::size() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.records.size();
  }
  return n;
}

}  // namespace rampart::seclang
