#include "feeds/feed.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace rampart::feeds {
namespace {

// A toy feed format: one non-empty word per line; "!" anywhere is malformed.
Compiled compile_words(std::string_view text, uint64_t max_entries) {
  Compiled c;
  if (text.find('!') != std::string_view::npos) {
    c.error = "a '!' in the file";
    return c;
  }
  auto words = std::make_shared<std::vector<std::string>>();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) words->emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  c.entries = words->size();
  c.data = std::move(words);
  return c;
}

class FeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rampart_feed_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "words.txt").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes through a new file and a rename, as feed pipelines do: a new inode each time.
  void write(const std::string& text) {
    std::string tmp = path_ + ".tmp";
    std::ofstream(tmp, std::ios::binary) << text;
    std::filesystem::rename(tmp, path_);
  }
  static std::string words(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "w" + std::to_string(i % 10) + "\n";
    return s;
  }
  size_t serving(const Feed& f) {
    auto w = f.get<std::vector<std::string>>();
    return w ? w->size() : 0;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(FeedTest, AppliesAGoodFileAndSkipsAnUnchangedOne) {
  write(words(10));
  Feed f("words", path_, Limits{1024, 100, 0.5}, &compile_words);
  EXPECT_EQ(f.refresh(false), Result::kApplied);
  EXPECT_EQ(serving(f), 10u);
  EXPECT_EQ(f.refresh(false), Result::kUnchanged);
  EXPECT_EQ(f.refresh(true), Result::kUnchanged);  // same content, forced re-read
  State s = f.state();
  EXPECT_EQ(s.entries, 10u);
  EXPECT_EQ(s.version.size(), 16u);
}

TEST_F(FeedTest, RefusesOverSizeOverEntriesAndGarbageKeepingThePrevious) {
  write(words(10));
  Feed f("words", path_, Limits{64, 12, 0}, &compile_words);
  ASSERT_EQ(f.refresh(false), Result::kApplied);
  std::string version = f.state().version;

  write(words(40));  // 120 bytes
  EXPECT_EQ(f.refresh(false), Result::kTooBig);
  EXPECT_NE(f.state().last_reason.find("over the limit of 64"), std::string::npos);
  EXPECT_EQ(serving(f), 10u);

  write("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n");  // 13 entries, 26 bytes
  EXPECT_EQ(f.refresh(false), Result::kTooManyEntries);
  EXPECT_EQ(serving(f), 10u);

  write("w1\n!!\n");
  EXPECT_EQ(f.refresh(false), Result::kMalformed);
  EXPECT_EQ(f.state().last_reason, "a '!' in the file");

  ::unlink(path_.c_str());
  EXPECT_EQ(f.refresh(false), Result::kMissing);
  EXPECT_EQ(serving(f), 10u);
  EXPECT_EQ(f.state().version, version);
  EXPECT_EQ(f.count(Result::kTooBig), 1u);
  EXPECT_EQ(f.count(Result::kMalformed), 1u);
}

TEST_F(FeedTest, HoldsBackAJumpInEntriesUntilAccepted) {
  write(words(10));
  Feed f("words", path_, Limits{4096, 1000, 0.5}, &compile_words);
  ASSERT_EQ(f.refresh(false), Result::kApplied);

  write(words(14));  // +40%: within the ratio
  EXPECT_EQ(f.refresh(false), Result::kApplied);
  EXPECT_EQ(serving(f), 14u);

  write(words(28));  // doubled
  EXPECT_EQ(f.refresh(false), Result::kHeldBack);
  EXPECT_EQ(serving(f), 14u);
  State s = f.state();
  EXPECT_EQ(s.held_entries, 28u);
  EXPECT_FALSE(s.held_version.empty());
  EXPECT_EQ(f.refresh(false), Result::kUnchanged);  // not re-read nor re-logged each poll

  write(words(3));  // shrinks to a fifth: held back too
  EXPECT_EQ(f.refresh(false), Result::kHeldBack);
  EXPECT_EQ(f.state().held_entries, 3u);

  EXPECT_TRUE(f.accept_held());
  EXPECT_EQ(serving(f), 3u);
  EXPECT_EQ(f.state().last_result, Result::kAccepted);
  EXPECT_FALSE(f.accept_held());
}

TEST_F(FeedTest, AFileGoingBackToTheRunningVersionDropsTheHeldOne) {
  write(words(10));
  Feed f("words", path_, Limits{4096, 1000, 0.5}, &compile_words);
  ASSERT_EQ(f.refresh(false), Result::kApplied);
  write(words(100));
  ASSERT_EQ(f.refresh(false), Result::kHeldBack);
  write(words(10));
  EXPECT_EQ(f.refresh(false), Result::kUnchanged);
  EXPECT_TRUE(f.state().held_version.empty());
  EXPECT_FALSE(f.accept_held());
}

TEST_F(FeedTest, AMissingFirstVersionServesNothing) {
  Feed f("words", path_, Limits{}, &compile_words);
  EXPECT_EQ(f.refresh(true), Result::kMissing);
  EXPECT_EQ(f.current(), nullptr);
  write(words(100));  // a first version is never held back
  EXPECT_EQ(f.refresh(false), Result::kApplied);
  EXPECT_EQ(serving(f), 100u);
}

}  // namespace
}  // namespace rampart::feeds
