#pragma once
// The persistent collections (IP, GLOBAL, SESSION, USER, RESOURCE after `initcol`):
// variables a rule sets in one request and reads in later ones. Kept in memory per
// process (as ModSecurity v3's in-memory backend does), shared by the workers, bounded in
// records and in variables per record; a variable's `expirevar` deadline and a record's
// idle timeout (SecCollectionTimeout) drop them. A fleet of processes counts per process.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace rampart::seclang {

class PersistentStore {
 public:
  using Clock = std::chrono::steady_clock;
  using Values = std::unordered_map<std::string, std::string>;  // lower-case names

  struct Options {
    size_t max_records = 65536;     // over it, the longest idle record of a sample goes
    size_t max_variables = 128;     // per record; further new variables are not kept
    size_t max_value_bytes = 4096;  // longer values are cut
    // A record key or variable name comes from a macro (a cookie, an argument): longer
    // ones are not kept, so a client cannot fill the store with its own huge keys.
    size_t max_key_bytes = 512;
    size_t max_name_bytes = 256;
    std::chrono::seconds timeout{3600};  // a record unused this long is dropped
  };

  PersistentStore() : PersistentStore(Options{}) {}
  explicit PersistentStore(Options options) : options_(options) {}

  // The live variables of `collection` ("ip") record `key`, added to `out`, with the
  // record's built-in members as ModSecurity names them (lower-case here): `key`,
  // `create_time` and `last_update_time` (Unix seconds), `update_counter` (saves since
  // the record was created), `is_new` (1 until the record was first saved, then 0) and
  // `timeout` (the seconds an unused record is kept). A record not stored yet gets them
  // too, as new. Built-in members are computed, never saved from a transaction.
  static bool is_builtin_member(std::string_view name);
  void load(std::string_view collection, std::string_view key, Clock::time_point now, Values& out);
  // Writes what a transaction changed: variables of `after` that are new or differ from
  // `before` are set, those of `before` missing from `after` removed. `expiries` (name →
  // seconds from now) set deadlines; 0 or less removes the variable at once.
  void save(std::string_view collection, std::string_view key, const Values& before,
            const Values& after, const std::unordered_map<std::string, int64_t>& expiries,
            Clock::time_point now);
  size_t size() const;

  // The process-wide store the WAF's transactions share.
  static PersistentStore& process();

 private:
  struct Variable {
    std::string value;
    Clock::time_point expires = Clock::time_point::max();
  };
  struct Record {
    std::unordered_map<std::string, Variable> variables;
    Clock::time_point used;
    int64_t created = 0;  // Unix seconds
    int64_t updated = 0;  // Unix seconds
    int64_t update_counter = 0;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Record> records;
  };
  static constexpr size_t kShards = 16;
  Shard& shard(const std::string& id) { return shards_[std::hash<std::string>()(id) % kShards]; }
  void make_room(Shard& shard, Clock::time_point now);

  Options options_;
  std::array<Shard, kShards> shards_;
};

}  // namespace rampart::seclang
