// The disk tier: what a restart keeps, what damage on disk becomes (a miss, never a
// corrupt object), the byte budget, purges, pausing after write errors, and loads
// running while the writer writes.

#include "cache/disk_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "cache/disk_files.h"

namespace rampart::cache {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/rampart-disk-test-XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::shared_ptr<const CachedObject> object(std::string body, std::vector<std::string> tags = {},
                                           int status = 200) {
  const std::vector<http::Header> headers = {{"Content-Type", "text/plain"},
                                             {"Cache-Control", "max-age=60"}};
  return std::make_shared<CachedObject>(status, headers, std::move(body), 100, 101, std::move(tags),
                                        "");
}

std::string key(std::string_view prefix, int i) {
  std::string k(prefix);
  k += std::to_string(i);
  return k;
}

std::string file_of(const std::string& dir, std::string_view key) {
  const std::string name = disk::hash_name(disk::key_hash(key));
  return dir + "/" + name.substr(0, 2) + "/" + name;
}

size_t files_in(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
  return n;
}

DiskStoreOptions options(const std::string& dir, uint64_t capacity = 16ull << 20) {
  DiskStoreOptions o;
  o.directory = dir + "/cache";
  o.capacity_bytes = capacity;
  o.max_object_bytes = 1 << 20;
  o.retry_interval = 200ms;
  return o;
}

TEST(DiskStoreTest, StoredObjectsLoadWithEveryField) {
  TempDir tmp;
  DiskStore store(options(tmp.path()));
  ASSERT_TRUE(store.open().ok);
  const std::vector<http::Header> headers = {{"ETag", "\"x\""}, {"Vary", "Accept-Encoding"}};
  auto original = std::make_shared<const CachedObject>(301, headers, std::string(10'000, 'z'), 7, 9,
                                                       std::vector<std::string>{"a", "b"}, "gzip");
  ASSERT_TRUE(store.store_async("shop.example/p", original));
  ASSERT_TRUE(store.drain(5s));

  auto loaded = store.load("shop.example/p");
  ASSERT_NE(loaded, nullptr);
  EXPECT_EQ(loaded->status(), 301);
  EXPECT_EQ(loaded->body(), original->body());
  EXPECT_EQ(loaded->request_time(), 7);
  EXPECT_EQ(loaded->response_time(), 9);
  EXPECT_EQ(loaded->tags(), original->tags());
  EXPECT_EQ(loaded->vary_key(), "gzip");
  ASSERT_EQ(loaded->headers().size(), 2u);
  EXPECT_EQ(loaded->headers()[1].value, "Accept-Encoding");
  EXPECT_EQ(store.load("shop.example/other"), nullptr);

  const DiskStoreStats s = store.stats();
  EXPECT_EQ(s.objects, 1u);
  EXPECT_EQ(s.bytes, 12288u);  // 10,000 body bytes and the record's own, in 4 KiB blocks
  EXPECT_EQ(s.writes, 1u);
  EXPECT_EQ(s.hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_TRUE(s.storing);
}

TEST(DiskStoreTest, BeforeOpenNothingIsStoredOrFound) {
  TempDir tmp;
  DiskStore store(options(tmp.path()));
  EXPECT_FALSE(store.store_async("k", object("v")));
  EXPECT_EQ(store.load("k"), nullptr);
  EXPECT_FALSE(store.stats().storing);
}

TEST(DiskStoreTest, ARestartKeepsObjectsAndTheirTags) {
  TempDir tmp;
  {
    DiskStore store(options(tmp.path()));
    ASSERT_TRUE(store.open().ok);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(
          store.store_async(key("site/", i), object(key("body-", i), {i % 2 ? "odd" : "even"})));
    }
    ASSERT_TRUE(store.drain(5s));
  }
  DiskStore store(options(tmp.path()));
  const DiskOpenResult opened = store.open();
  ASSERT_TRUE(opened.ok) << opened.error;
  EXPECT_EQ(opened.objects, 50u);
  EXPECT_EQ(opened.removed, 0u);
  for (int i = 0; i < 50; ++i) {
    auto o = store.load(key("site/", i));
    ASSERT_NE(o, nullptr) << i;
    EXPECT_EQ(o->body(), key("body-", i));
  }
  // The rebuilt index knows the tags without the objects having been loaded.
  EXPECT_EQ(store.purge_tag("odd"), 25u);
  EXPECT_EQ(store.load("site/1"), nullptr);
  EXPECT_NE(store.load("site/2"), nullptr);
}

TEST(DiskStoreTest, AFlippedByteIsAMissAndTheFileIsRemoved) {
  TempDir tmp;
  DiskStore store(options(tmp.path()));
  ASSERT_TRUE(store.open().ok);
  ASSERT_TRUE(store.store_async("k", object(std::string(3000, 'a'))));
  ASSERT_TRUE(store.drain(5s));
  const std::string path = file_of(store.options().directory, "k");
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2000);  // in the body
    f.put('b');
  }
  EXPECT_EQ(store.load("k"), nullptr);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(store.stats().corrupt, 1u);
  EXPECT_EQ(store.stats().objects, 0u);
  EXPECT_EQ(store.load("k"), nullptr);
  EXPECT_EQ(store.stats().corrupt, 1u);  // now a plain miss
}

TEST(DiskStoreTest, ATruncatedFileIsAMissWhileRunningAndRemovedAtOpen) {
  TempDir tmp;
  const DiskStoreOptions o = options(tmp.path());
  {
    DiskStore store(o);
    ASSERT_TRUE(store.open().ok);
    for (const char* k : {"a", "b", "c"})
      ASSERT_TRUE(store.store_async(k, object(std::string(5000, 'x'))));
    ASSERT_TRUE(store.drain(5s));
    fs::resize_file(file_of(o.directory, "a"), 4000);
    EXPECT_EQ(store.load("a"), nullptr);
    EXPECT_FALSE(fs::exists(file_of(o.directory, "a")));
    EXPECT_EQ(store.stats().corrupt, 1u);
  }
  fs::resize_file(file_of(o.directory, "b"), 100);
  fs::create_directories(o.directory + "/00");
  std::ofstream(o.directory + "/00/tmp.7") << "half a write";
  std::ofstream(o.directory + "/notes.txt") << "not the cache's";
  DiskStore store(o);
  const DiskOpenResult opened = store.open();
  ASSERT_TRUE(opened.ok);
  EXPECT_EQ(opened.objects, 1u);
  EXPECT_EQ(opened.removed, 2u);  // the truncated record and the temp file
  EXPECT_EQ(store.stats().corrupt, 1u);
  EXPECT_FALSE(fs::exists(file_of(o.directory, "b")));
  EXPECT_TRUE(fs::exists(o.directory + "/notes.txt"));
  EXPECT_NE(store.load("c"), nullptr);
}

TEST(DiskStoreTest, AFileHoldingAnotherKeyIsNeverServed) {
  TempDir tmp;
  DiskStore store(options(tmp.path()));
  ASSERT_TRUE(store.open().ok);
  ASSERT_TRUE(store.store_async("a", object("for a")));
  ASSERT_TRUE(store.store_async("b", object("for b")));
  ASSERT_TRUE(store.drain(5s));
  const std::string dir = store.options().directory;
  fs::copy_file(file_of(dir, "a"), file_of(dir, "b"), fs::copy_options::overwrite_existing);
  EXPECT_EQ(store.load("b"), nullptr);
  EXPECT_EQ(store.stats().corrupt, 1u);
  EXPECT_EQ(store.load("a")->body(), "for a");
}

TEST(DiskStoreTest, AFileDeletedBehindItsBackIsAPlainMiss) {
  TempDir tmp;
  DiskStore store(options(tmp.path()));
  ASSERT_TRUE(store.open().ok);
  ASSERT_TRUE(store.store_async("a", object("x")));
  ASSERT_TRUE(store.drain(5s));
  fs::remove(file_of(store.options().directory, "a"));
  EXPECT_EQ(store.load("a"), nullptr);
  const DiskStoreStats s = store.stats();
  EXPECT_EQ(s.corrupt, 0u);
  EXPECT_EQ(s.objects, 0u);
  EXPECT_EQ(s.bytes, 0u);
}

TEST(DiskStoreTest, TheBudgetEvictsTheLeastRecentlyUsed) {
  TempDir tmp;
  DiskStore store(options(tmp.path(), 64 << 10));  // sixteen 4 KiB objects
  ASSERT_TRUE(store.open().ok);
  for (int i = 0; i < 16; ++i)
    ASSERT_TRUE(store.store_async(key("k", i), object(std::string(3000, 'x'))));
  ASSERT_TRUE(store.drain(5s));
  EXPECT_EQ(store.stats().objects, 16u);
  ASSERT_NE(store.load("k0"), nullptr);  // k0 is now the most recent; k1 the oldest
  for (int i = 16; i < 40; ++i) {
    ASSERT_TRUE(store.store_async(key("k", i), object(std::string(3000, 'x'))));
    ASSERT_TRUE(store.drain(5s));
    ASSERT_LE(store.stats().bytes, 64u << 10);
  }
  const DiskStoreStats s = store.stats();
  EXPECT_EQ(s.objects, 16u);
  EXPECT_EQ(s.evictions, 24u);
  EXPECT_EQ(files_in(store.options().directory), 16u);
  EXPECT_EQ(store.load("k1"), nullptr);
  EXPECT_NE(store.load("k39"), nullptr);
}

TEST(DiskStoreTest, AReopenWithASmallerBudgetEvictsTheOldest) {
  TempDir tmp;
  DiskStoreOptions o = options(tmp.path());
  {
    DiskStore store(o);
    ASSERT_TRUE(store.open().ok);
    for (int i = 0; i < 8; ++i) {
      ASSERT_TRUE(store.store_async(key("k", i), object(std::string(3000, 'x'))));
      ASSERT_TRUE(store.drain(5s));
      std::this_thread::sleep_for(2ms);  // distinct modification times
    }
  }
  o.capacity_bytes = 4 * 4096;
  DiskStore store(o);
  ASSERT_EQ(store.open().objects, 4u);
  EXPECT_EQ(store.load("k3"), nullptr);
  EXPECT_NE(store.load("k4"), nullptr);
  EXPECT_EQ(files_in(o.directory), 4u);
}

TEST(DiskStoreTest, PurgesReachFilesAndSurviveARestart) {
  TempDir tmp;
  const DiskStoreOptions o = options(tmp.path());
  {
    DiskStore store(o);
    ASSERT_TRUE(store.open().ok);
    ASSERT_TRUE(store.store_async("a.example/1", object("1", {"red"})));
    ASSERT_TRUE(store.store_async("a.example/2", object("2", {"blue"})));
    ASSERT_TRUE(store.store_async("b.example/1", object("3", {"red", "blue"})));
    ASSERT_TRUE(store.store_async("b.example/2", object("4")));
    ASSERT_TRUE(store.store_async("c.example/1", object("5")));
    ASSERT_TRUE(store.drain(5s));

    EXPECT_TRUE(store.erase("c.example/1"));
    EXPECT_FALSE(store.erase("c.example/1"));
    EXPECT_EQ(store.purge_tag("red"), 2u);
    EXPECT_EQ(store.purge_tag("red"), 0u);
    EXPECT_EQ(store.load("a.example/2")->body(), "2");  // blue, untouched
    EXPECT_EQ(store.purge_if([](std::string_view k) { return k.starts_with("a.example/"); }), 1u);
    EXPECT_EQ(store.stats().objects, 1u);
    EXPECT_EQ(files_in(o.directory), 1u);
  }
  {
    DiskStore store(o);
    ASSERT_EQ(store.open().objects, 1u);
    EXPECT_NE(store.load("b.example/2"), nullptr);
    EXPECT_EQ(store.purge_all(), 1u);
    EXPECT_EQ(store.stats().bytes, 0u);
  }
  DiskStore store(o);
  EXPECT_EQ(store.open().objects, 0u);
}

// Holds the writer in the write hook until released, so a test can fill the queue.
struct WriterGate {
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> entered{0};

  void hook(DiskStoreOptions& o) {
    o.inject_write_error = [this](std::string_view) {
      entered.fetch_add(1);
      released.wait_for(5s);
      return 0;
    };
  }
  void wait_entered(int n) {
    for (int i = 0; i < 500 && entered.load() < n; ++i) std::this_thread::sleep_for(1ms);
  }
};

TEST(DiskStoreTest, AFullQueueDropsInsteadOfWaiting) {
  TempDir tmp;
  WriterGate gate;
  DiskStoreOptions o = options(tmp.path());
  o.queue_objects = 2;
  gate.hook(o);
  DiskStore store(o);
  ASSERT_TRUE(store.open().ok);
  ASSERT_TRUE(store.store_async("k0", object("0")));
  gate.wait_entered(1);  // k0 is being written, the queue is empty
  EXPECT_TRUE(store.store_async("k1", object("1")));
  EXPECT_TRUE(store.store_async("k2", object("2")));
  const auto before = std::chrono::steady_clock::now();
  EXPECT_FALSE(store.store_async("k3", object("3")));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 100ms);
  EXPECT_EQ(store.stats().dropped, 1u);
  gate.release.set_value();
  ASSERT_TRUE(store.drain(5s));
  EXPECT_EQ(store.stats().writes, 3u);
  EXPECT_EQ(store.load("k3"), nullptr);
  EXPECT_NE(store.load("k2"), nullptr);
}

TEST(DiskStoreTest, APurgeReachesObjectsStillQueued) {
  TempDir tmp;
  WriterGate gate;
  DiskStoreOptions o = options(tmp.path());
  gate.hook(o);
  DiskStore store(o);
  ASSERT_TRUE(store.open().ok);
  ASSERT_TRUE(store.store_async("x/in-flight", object("0", {"t"})));
  gate.wait_entered(1);
  ASSERT_TRUE(store.store_async("x/queued", object("1", {"t"})));
  ASSERT_TRUE(store.store_async("y/queued", object("2")));
  // The purge waits for the write in flight and removes its file; the queued one is
  // taken off the queue, or removed from disk if the writer got to it first.
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    gate.release.set_value();
  });
  EXPECT_GE(store.purge_tag("t"), 1u);
  releaser.join();
  ASSERT_TRUE(store.drain(5s));
  EXPECT_EQ(store.load("x/in-flight"), nullptr);
  EXPECT_EQ(store.load("x/queued"), nullptr);
  EXPECT_NE(store.load("y/queued"), nullptr);
  EXPECT_EQ(files_in(o.directory), 1u);
}

TEST(DiskStoreTest, AWriteErrorPausesStoringThenItResumes) {
  TempDir tmp;
  const DiskStoreOptions o = options(tmp.path());
  DiskStore store(o);
  ASSERT_TRUE(store.open().ok);
  // A directory where the file should go: the rename fails, as a real I/O error would.
  fs::create_directories(file_of(o.directory, "k"));
  ASSERT_TRUE(store.store_async("k", object("v")));
  ASSERT_TRUE(store.drain(5s));
  DiskStoreStats s = store.stats();
  EXPECT_EQ(s.write_errors, 1u);
  EXPECT_FALSE(s.storing);
  EXPECT_FALSE(store.store_async("other", object("v")));  // paused: dropped at once
  EXPECT_EQ(store.load("k"), nullptr);                    // loads still answer

  fs::remove(file_of(o.directory, "k"));
  for (int i = 0; i < 200 && !store.stats().storing; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(store.stats().storing);
  ASSERT_TRUE(store.store_async("k", object("v")));
  ASSERT_TRUE(store.drain(5s));
  ASSERT_NE(store.load("k"), nullptr);
  s = store.stats();
  EXPECT_EQ(s.write_errors, 1u);
  EXPECT_EQ(s.writes, 1u);
  EXPECT_EQ(files_in(o.directory), 1u);  // no temp file left behind
}

TEST(DiskStoreTest, DiskFullPausesStoringButLoadsGoOn) {
  TempDir tmp;
  std::atomic<bool> full{false};
  DiskStoreOptions o = options(tmp.path());
  o.inject_write_error = [&](std::string_view) { return full.load() ? ENOSPC : 0; };
  DiskStore store(o);
  ASSERT_TRUE(store.open().ok);
  ASSERT_TRUE(store.store_async("before", object("b")));
  ASSERT_TRUE(store.drain(5s));
  full = true;
  ASSERT_TRUE(store.store_async("during", object("d")));
  ASSERT_TRUE(store.drain(5s));
  EXPECT_FALSE(store.stats().storing);
  EXPECT_NE(store.load("before"), nullptr);
  EXPECT_EQ(store.load("during"), nullptr);
  full = false;
  for (int i = 0; i < 200 && !store.stats().storing; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(store.store_async("after", object("a")));
  ASSERT_TRUE(store.drain(5s));
  EXPECT_NE(store.load("after"), nullptr);
  EXPECT_EQ(store.stats().write_errors, 1u);
}

TEST(DiskStoreTest, ObjectsOverTheLimitAreRejected) {
  TempDir tmp;
  DiskStoreOptions o = options(tmp.path());
  o.max_object_bytes = 10'000;
  DiskStore store(o);
  ASSERT_TRUE(store.open().ok);
  EXPECT_FALSE(store.store_async("big", object(std::string(20'000, 'x'))));
  // The body fits but body and record do not: refused by the writer.
  EXPECT_TRUE(store.store_async("edge", object(std::string(9'990, 'x'))));
  ASSERT_TRUE(store.drain(5s));
  EXPECT_EQ(store.stats().rejected, 2u);
  EXPECT_EQ(store.stats().objects, 0u);
}

TEST(DiskStoreTest, LoadsWhileTheWriterReplacesObjectsNeverSeeAWrongObject) {
  TempDir tmp;
  DiskStore store(options(tmp.path()));
  ASSERT_TRUE(store.open().ok);
  constexpr int kKeys = 20;
  std::atomic<bool> done{false};
  std::atomic<int> wrong{0};
  std::atomic<int> hits{0};
  const auto write_round = [&](int round) {
    for (int i = 0; i < kKeys; ++i) {
      std::string body = key("key/", i) + "#" + std::to_string(round);
      body.resize(2000 + 500 * round, '.');
      store.store_async(key("key/", i), object(std::move(body)));
    }
    return store.drain(5s);
  };
  ASSERT_TRUE(write_round(0));
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&, r] {
      for (int n = 0; n < 20'000 && !done.load(); ++n) {
        const std::string k = key("key/", (n + r) % kKeys);
        auto o = store.load(k);
        if (o == nullptr) continue;
        ++hits;
        // Each body names its key, whatever version of it was read.
        if (!o->body().starts_with(k + "#")) ++wrong;
      }
    });
  }
  for (int round = 1; round < 10; ++round) EXPECT_TRUE(write_round(round));
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(hits.load(), 0);
  EXPECT_EQ(store.stats().corrupt, 0u);
  EXPECT_EQ(store.stats().objects, static_cast<uint64_t>(kKeys));
}

TEST(DiskStoreTest, ShutdownWithAFullQueueIsQuick) {
  TempDir tmp;
  DiskStoreOptions o = options(tmp.path());
  o.inject_write_error = [](std::string_view) {
    std::this_thread::sleep_for(5ms);
    return 0;
  };
  auto store = std::make_unique<DiskStore>(o);
  ASSERT_TRUE(store->open().ok);
  for (int i = 0; i < 500; ++i) store->store_async(key("k", i), object("v"));
  const auto before = std::chrono::steady_clock::now();
  store.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 500ms);
}

TEST(DiskStoreTest, OpenRefusesUnusableDirectories) {
  TempDir tmp;
  DiskStoreOptions relative = options(tmp.path());
  relative.directory = "cache/relative";
  EXPECT_FALSE(DiskStore(relative).open().ok);

  std::ofstream(tmp.path() + "/file") << "x";
  DiskStoreOptions on_file = options(tmp.path());
  on_file.directory = tmp.path() + "/file";
  const DiskOpenResult r = DiskStore(on_file).open();
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("file"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace rampart::cache
