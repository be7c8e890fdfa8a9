#include "cache/memory_store.h"

#include <bit>
#include <deque>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace rampart::cache {

namespace {

// What an entry costs besides its object: the node, its key and the index slot.
constexpr size_t kEntryOverhead = 64;
constexpr uint8_t kMaxFreq = 3;
// S3-FIFO's probationary queue holds this share of the bytes.
constexpr double kSmallShare = 0.1;

struct Entry {
  std::string key;
  uint64_t hash = 0;
  MemoryStore::ObjectPtr object;
  size_t charge = 0;
  Entry* prev = nullptr;  // towards the head (newer)
  Entry* next = nullptr;  // towards the tail (older)
  uint8_t freq = 0;
  bool in_main = false;
};

// A FIFO of entries by intrusive links: push at the head, evict from the tail.
struct Queue {
  Entry* head = nullptr;
  Entry* tail = nullptr;
  size_t bytes = 0;
  size_t count = 0;

  void push_head(Entry* e) {
    e->prev = nullptr;
    e->next = head;
    if (head != nullptr) head->prev = e;
    head = e;
    if (tail == nullptr) tail = e;
    bytes += e->charge;
    ++count;
  }
  void remove(Entry* e) {
    (e->prev != nullptr ? e->prev->next : head) = e->next;
    (e->next != nullptr ? e->next->prev : tail) = e->prev;
    e->prev = e->next = nullptr;
    bytes -= e->charge;
    --count;
  }
};

}  // namespace

struct MemoryStore::Shard {
  std::mutex mutex;
  size_t capacity = 0;
  size_t max_object = 0;
  Eviction eviction = Eviction::kS3Fifo;
  std::unordered_map<std::string_view, std::unique_ptr<Entry>> index;
  Queue small;
  Queue main;  // LRU keeps everything here, most recent at the head
  // Keys recently dropped from `small` unused: seen again soon, they skip probation.
  std::deque<uint64_t> ghost_order;
  std::unordered_map<uint64_t, uint32_t> ghost;
  std::unordered_map<std::string, std::unordered_set<Entry*>> tags;
  MemoryStoreStats stats;

  size_t bytes() const { return small.bytes + main.bytes; }

  void index_tags(Entry* e) {
    for (const std::string& tag : e->object->tags()) tags[tag].insert(e);
  }
  void unindex_tags(Entry* e) {
    for (const std::string& tag : e->object->tags()) {
      auto it = tags.find(tag);
      if (it == tags.end()) continue;
      it->second.erase(e);
      if (it->second.empty()) tags.erase(it);
    }
  }

  void remember_ghost(uint64_t hash) {
    ghost_order.push_back(hash);
    ++ghost[hash];
    // About as many ghosts as live objects, as S3-FIFO sizes its ghost queue.
    size_t cap = std::max<size_t>(index.size(), 64);
    while (ghost_order.size() > cap) {
      auto it = ghost.find(ghost_order.front());
      if (it != ghost.end() && --it->second == 0) ghost.erase(it);
      ghost_order.pop_front();
    }
  }
  bool take_ghost(uint64_t hash) {
    auto it = ghost.find(hash);
    if (it == ghost.end()) return false;
    ghost.erase(it);  // its stale order slots age out harmlessly
    return true;
  }

  // Frees the entry: erased through an iterator, as the key it is found by lives in
  // the node being destroyed.
  void forget(Entry* e) {
    unindex_tags(e);
    index.erase(index.find(std::string_view(e->key)));
  }
  void drop(Entry* e) {
    (e->in_main ? main : small).remove(e);
    forget(e);
  }

  void evict_one() {
    if (eviction == Eviction::kLru || small.count == 0 ||
        (small.bytes <= static_cast<size_t>(capacity * kSmallShare) && main.count > 0)) {
      // Main: objects reused while they sat here go round again with one use less.
      while (main.tail != nullptr && main.tail->freq > 0 && eviction == Eviction::kS3Fifo) {
        Entry* t = main.tail;
        main.remove(t);
        --t->freq;
        main.push_head(t);
      }
      if (main.tail != nullptr) {
        drop(main.tail);
        ++stats.evictions;
        return;
      }
    }
    Entry* t = small.tail;
    if (t == nullptr) return;
    small.remove(t);
    if (t->freq > 0) {
      t->freq = 0;
      t->in_main = true;
      main.push_head(t);
      return;
    }
    remember_ghost(t->hash);
    forget(t);
    ++stats.evictions;
  }

  void evict_to_fit() {
    // Each pass either evicts or moves an entry to main with its count spent, so this
    // ends within a few passes over the shard.
    while (bytes() > capacity && (small.count + main.count) > 0) evict_one();
  }
};

MemoryStore::MemoryStore(MemoryStoreOptions options) : capacity_(options.capacity_bytes) {
  size_t n = std::bit_ceil(std::max<size_t>(options.shards, 1));
  shard_mask_ = n - 1;
  for (size_t i = 0; i < n; ++i) {
    auto s = std::make_unique<Shard>();
    s->capacity = capacity_ / n;
    s->max_object =
        static_cast<size_t>(static_cast<double>(s->capacity) * options.max_object_share);
    s->eviction = options.eviction;
    shards_.push_back(std::move(s));
  }
}

MemoryStore::~MemoryStore() = default;

MemoryStore::Shard& MemoryStore::shard_for(std::string_view key, uint64_t& hash) {
  hash = std::hash<std::string_view>{}(key);
  // The top bits pick the shard; the bucket index inside uses the low ones.
  return *shards_[(hash >> 40) & shard_mask_];
}

MemoryStore::ObjectPtr MemoryStore::find(std::string_view key) {
  uint64_t hash;
  Shard& s = shard_for(key, hash);
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it == s.index.end()) {
    ++s.stats.misses;
    return nullptr;
  }
  Entry* e = it->second.get();
  ++s.stats.hits;
  if (s.eviction == Eviction::kLru) {
    s.main.remove(e);
    s.main.push_head(e);
  } else if (e->freq < kMaxFreq) {
    ++e->freq;
  }
  return e->object;
}

bool MemoryStore::insert(std::string_view key, ObjectPtr object) {
  if (!object) return false;
  uint64_t hash;
  Shard& s = shard_for(key, hash);
  size_t charge = object->charge() + key.size() + kEntryOverhead;
  std::lock_guard lock(s.mutex);
  if (charge > s.max_object) {
    ++s.stats.rejected;
    // A stale smaller version must not outlive the one that replaced it at the origin.
    if (auto it = s.index.find(key); it != s.index.end()) s.drop(it->second.get());
    return false;
  }
  ++s.stats.inserts;
  if (auto it = s.index.find(key); it != s.index.end()) {
    Entry* e = it->second.get();
    Queue& q = e->in_main ? s.main : s.small;
    q.remove(e);
    s.unindex_tags(e);
    e->object = std::move(object);
    e->charge = charge;
    q.push_head(e);
    s.index_tags(e);
  } else {
    auto owned = std::make_unique<Entry>();
    Entry* e = owned.get();
    e->key.assign(key);
    e->hash = hash;
    e->object = std::move(object);
    e->charge = charge;
    e->in_main = s.eviction == Eviction::kLru || s.take_ghost(hash);
    (e->in_main ? s.main : s.small).push_head(e);
    s.index.emplace(std::string_view(e->key), std::move(owned));
    s.index_tags(e);
  }
  s.evict_to_fit();
  return true;
}

bool MemoryStore::erase(std::string_view key) {
  uint64_t hash;
  Shard& s = shard_for(key, hash);
  std::lock_guard lock(s.mutex);
  auto it = s.index.find(key);
  if (it == s.index.end()) return false;
  s.drop(it->second.get());
  return true;
}

size_t MemoryStore::purge_tag(std::string_view tag) {
  size_t purged = 0;
  std::string tag_key(tag);
  for (auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    auto it = s->tags.find(tag_key);
    if (it == s->tags.end()) continue;
    std::vector<Entry*> victims(it->second.begin(), it->second.end());
    for (Entry* e : victims) s->drop(e);
    purged += victims.size();
  }
  return purged;
}

size_t MemoryStore::purge_if(const std::function<bool(std::string_view key)>& match) {
  size_t purged = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    std::vector<Entry*> victims;
    for (const auto& [key, entry] : s->index) {
      if (match(key)) victims.push_back(entry.get());
    }
    for (Entry* e : victims) s->drop(e);
    purged += victims.size();
  }
  return purged;
}

size_t MemoryStore::purge_all() {
  return purge_if([](std::string_view) { return true; });
}

MemoryStoreStats MemoryStore::stats() const {
  MemoryStoreStats total;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    total.objects += s->index.size();
    total.bytes += s->bytes();
    total.hits += s->stats.hits;
    total.misses += s->stats.misses;
    total.inserts += s->stats.inserts;
    total.evictions += s->stats.evictions;
    total.rejected += s->stats.rejected;
  }
  return total;
}

}  // namespace rampart::cache
