#include "feeds/ip_list_feed.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace rampart::feeds {
namespace {

core::IpAddress ip(const char* text) {
  return *core::IpAddress::parse(text);
}

std::string hosts(const char* prefix, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += std::string(prefix) + std::to_string(i) + "\n";
  return s;
}

TEST(CompileIpList, CountsEntriesAndRefusesBadLines) {
  Compiled ok = compile_ip_list("# c\n192.0.2.0/24\n\n2001:db8::/32  # x\n", 10);
  ASSERT_TRUE(ok.error.empty()) << ok.error;
  EXPECT_EQ(ok.entries, 2u);
  Compiled bad = compile_ip_list("192.0.2.0/24\nnope\n", 10);
  EXPECT_NE(bad.error.find("line 2"), std::string::npos) << bad.error;
  // Over the cap: the entry count is reported so the feed refuses it as too many.
  Compiled many = compile_ip_list(hosts("10.0.0.", 12), 10);
  EXPECT_TRUE(many.error.empty());
  EXPECT_EQ(many.entries, 12u);
}

class IpListFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = std::string("ut_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = std::filesystem::temp_directory_path() /
           ("rampart_ip_list_feed_" + std::to_string(::getpid()) + "_" + name_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "list.txt").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) {
    std::string tmp = path_ + ".tmp";
    std::ofstream(tmp, std::ios::binary) << text;
    std::filesystem::rename(tmp, path_);
  }
  std::shared_ptr<core::LiveIpSet> live_from_loader() {
    // What the config loader makes of the file as it is now.
    auto loaded = core::load_ip_list_file(path_, 1000, 1 << 20);
    EXPECT_TRUE(loaded.set);
    return std::make_shared<core::LiveIpSet>(loaded.set, true);
  }

  // The registry's poll thread may look at the file first: then its result counts.
  static Result look(Feed& feed) {
    Result r = feed.refresh(false);
    return r == Result::kUnchanged ? feed.state().last_result : r;
  }

  std::string name_, path_;
  std::filesystem::path dir_;
  Limits limits_{1 << 20, 1000, 0.5};
};

TEST_F(IpListFeedTest, AChangedFileReachesTheLiveSetAndBadOnesDoNot) {
  // Ten entries, so one more stays within max_change.
  std::string base = "192.0.2.0/24\n" + hosts("10.9.0.", 9);
  write(base);
  auto live = live_from_loader();
  auto feed = use_ip_list(name_, path_, limits_, live);
  EXPECT_EQ(feed->name(), "list." + name_);
  write(base + "203.0.113.0/24\n");
  EXPECT_EQ(look(*feed), Result::kApplied);
  EXPECT_TRUE(live->contains(ip("203.0.113.9")));
  write("192.0.2.0/24\ngarbage\n");
  EXPECT_EQ(look(*feed), Result::kMalformed);
  EXPECT_TRUE(live->contains(ip("203.0.113.9")));
  EXPECT_TRUE(live->contains(ip("192.0.2.1")));
}

TEST_F(IpListFeedTest, AHeldBackJumpStaysHeldBackAcrossAReload) {
  write(hosts("10.0.0.", 4));
  auto running = live_from_loader();
  auto feed = use_ip_list(name_, path_, limits_, running);
  write(hosts("10.0.1.", 40));  // ten times the entries
  EXPECT_EQ(look(*feed), Result::kHeldBack);
  EXPECT_FALSE(running->contains(ip("10.0.1.5")));

  // A reload: the loader reads the jumped file, but the feed's running version wins.
  auto reloaded = live_from_loader();
  EXPECT_TRUE(reloaded->contains(ip("10.0.1.5")));
  auto same = use_ip_list(name_, path_, limits_, reloaded);
  EXPECT_EQ(same, feed);
  EXPECT_FALSE(reloaded->contains(ip("10.0.1.5")));
  EXPECT_TRUE(reloaded->contains(ip("10.0.0.3")));
  EXPECT_FALSE(feed->state().held_version.empty());

  // Accepted: every set bound to the feed serves it.
  EXPECT_TRUE(feed->accept_held());
  EXPECT_TRUE(reloaded->contains(ip("10.0.1.5")));
  EXPECT_TRUE(running->contains(ip("10.0.1.5")));
  EXPECT_FALSE(reloaded->contains(ip("10.0.0.3")));
}

}  // namespace
}  // namespace rampart::feeds
