#include "cache/memory_store.h"

#include <bit>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <unordered_map>
#include <unordered_set>

namespace rampart::cache {

namespace {

constexpr uint8_t kMaxFreq = 3;
// S3-FIFO's probationary queue holds this share of the bytes.
constexpr double kSmallShare = 0.1;

// An entry is its own index node, and it and its key bytes are one allocation (the key
// follows the struct): per object that saves a hash-map node and, as a key (host +
// target) rarely fits a string's inline buffer, a second allocation for the key.
struct Entry {
  MemoryStore::ObjectPtr object;
  size_t charge = 0;
  Entry* prev = nullptr;   // towards the head (newer)
  Entry* next = nullptr;   // towards the tail (older)
  Entry* chain = nullptr;  // the next entry in its index bucket
  uint64_t hash = 0;
  uint32_t key_size = 0;
  uint8_t freq = 0;
  bool in_main = false;

  std::string_view key() const { return {reinterpret_cast<const char*>(this + 1), key_size}; }

  static Entry* make(std::string_view key, uint64_t hash) {
    void* memory = ::operator new(sizeof(Entry) + key.size());
    auto* e = new (memory) Entry;
    std::memcpy(static_cast<char*>(memory) + sizeof(Entry), key.data(), key.size());
    e->key_size = static_cast<uint32_t>(key.size());
    e->hash = hash;
    return e;
  }
  static void destroy(Entry* e) {
    e->~Entry();
    ::operator delete(e);
  }
};

// What an entry costs besides its object and key bytes: itself, its index slot and the
// allocator's header.
constexpr size_t kEntryOverhead = sizeof(Entry) + 2 * sizeof(void*);

// A chained hash table of entries linked through Entry::chain; it owns them. The hash
// is computed once per call (it also picks the shard), so a lookup never hashes the key
// again, growing never reads keys, and a probe compares hashes before bytes.
class Index {
 public:
  Index() = default;
  Index(const Index&) = delete;
  Index& operator=(const Index&) = delete;
  ~Index() {
    for (Entry* head : buckets_) {
      while (head != nullptr) {
        Entry* next = head->chain;
        Entry::destroy(head);
        head = next;
      }
    }
  }

  size_t size() const { return size_; }

  Entry* find(std::string_view key, uint64_t hash) const {
    if (buckets_.empty()) return nullptr;
    for (Entry* e = buckets_[hash & mask_]; e != nullptr; e = e->chain) {
      if (e->hash == hash && e->key() == key) return e;
    }
    return nullptr;
  }
  // `e`'s key must not be in the table.
  void insert(Entry* e) {
    if (size_ >= buckets_.size()) grow();
    Entry*& head = buckets_[e->hash & mask_];
    e->chain = head;
    head = e;
    ++size_;
  }
  // Unlinks and frees `e`, which must be in the table.
  void erase(Entry* e) {
    Entry** link = &buckets_[e->hash & mask_];
    while (*link != e) link = &(*link)->chain;
    *link = e->chain;
    --size_;
    Entry::destroy(e);
  }
  template <typename F>
  void for_each(F&& f) const {
    for (Entry* head : buckets_) {
      for (Entry* e = head; e != nullptr; e = e->chain) f(e);
    }
  }

 private:
  // Doubles the buckets (load factor at most 1); entries keep their hash, so moving
  // them is pointer work only.
  void grow() {
    std::vector<Entry*> old = std::move(buckets_);
    buckets_.assign(old.empty() ? 16 : old.size() * 2, nullptr);
    mask_ = buckets_.size() - 1;
    for (Entry* head : old) {
      while (head != nullptr) {
        Entry* next = head->chain;
        Entry*& slot = buckets_[head->hash & mask_];
        head->chain = slot;
        slot = head;
        head = next;
      }
    }
  }

  std::vector<Entry*> buckets_;
  size_t mask_ = 0;
  size_t size_ = 0;
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
  Index index;
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

  // Frees the entry.
  void forget(Entry* e) {
    unindex_tags(e);
    index.erase(e);
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
  Entry* e = s.index.find(key, hash);
  if (e == nullptr) {
    ++s.stats.misses;
    return nullptr;
  }
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
  if (!object || key.size() > UINT32_MAX) return false;
  uint64_t hash;
  Shard& s = shard_for(key, hash);
  size_t charge = object->charge() + key.size() + kEntryOverhead;
  std::lock_guard lock(s.mutex);
  if (charge > s.max_object) {
    ++s.stats.rejected;
    // A stale smaller version must not outlive the one that replaced it at the origin.
    if (Entry* stale = s.index.find(key, hash); stale != nullptr) s.drop(stale);
    return false;
  }
  ++s.stats.inserts;
  if (Entry* e = s.index.find(key, hash); e != nullptr) {
    Queue& q = e->in_main ? s.main : s.small;
    q.remove(e);
    s.unindex_tags(e);
    e->object = std::move(object);
    e->charge = charge;
    q.push_head(e);
    s.index_tags(e);
  } else {
    Entry* fresh = Entry::make(key, hash);
    fresh->object = std::move(object);
    fresh->charge = charge;
    fresh->in_main = s.eviction == Eviction::kLru || s.take_ghost(hash);
    (fresh->in_main ? s.main : s.small).push_head(fresh);
    s.index.insert(fresh);
    s.index_tags(fresh);
  }
  s.evict_to_fit();
  return true;
}

bool MemoryStore::erase(std::string_view key) {
  uint64_t hash;
  Shard& s = shard_for(key, hash);
  std::lock_guard lock(s.mutex);
  Entry* e = s.index.find(key, hash);
  if (e == nullptr) return false;
  s.drop(e);
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
    s->index.for_each([&](Entry* e) {
      if (match(e->key())) victims.push_back(e);
    });
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
