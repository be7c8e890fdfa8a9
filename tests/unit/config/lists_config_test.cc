// Named lists in the config: inline items, list files (relative to the config's
// directory), their caps, and errors at the position of the offending value.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config_test_util.h"
#include "core/ip.h"

namespace rampart::config {
namespace {

namespace fs = std::filesystem;

using testing::all_errors;
using testing::find_error;
using testing::has_error_at;
using testing::kHeadYaml;
using testing::load;
using testing::load_body;

bool has_ip(const NamedList& list, std::string_view ip) {
  auto addr = core::IpAddress::parse(ip);
  EXPECT_TRUE(addr) << ip;
  return addr && list.ips && list.ips->contains(*addr);
}

// A fresh directory per test: ctest runs tests in parallel processes.
class TempDir {
 public:
  explicit TempDir(std::string_view name)
      : path_(fs::temp_directory_path() /
              ("rampart_lists_" + std::string(name) + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  fs::path write(const std::string& relative, std::string_view content) const {
    fs::path p = path_ / relative;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

 private:
  fs::path path_;
};

// ---- inline lists ----

TEST(ListsTest, InlineIpList) {
  auto r = load_body(R"(
lists:
  blocked_networks:
    kind: ip
    items: [192.0.2.0/24, "2001:db8::/32", 198.51.100.7]
  empty:
    items: []
)");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  ASSERT_EQ(r.config->lists.size(), 2u);
  const NamedList& list = r.config->lists.at("blocked_networks");
  EXPECT_EQ(list.name, "blocked_networks");
  EXPECT_EQ(list.kind, ListKind::kIp);
  EXPECT_EQ(list.file, "");
  EXPECT_EQ(list.line, 4);
  EXPECT_EQ(list.column, 3);
  EXPECT_TRUE(has_ip(list, "192.0.2.55"));
  EXPECT_TRUE(has_ip(list, "2001:db8:1::1"));
  EXPECT_TRUE(has_ip(list, "198.51.100.7"));
  EXPECT_FALSE(has_ip(list, "198.51.100.8"));
  EXPECT_FALSE(has_ip(list, "10.0.0.1"));
  const NamedList& empty = r.config->lists.at("empty");
  ASSERT_TRUE(empty.ips);
  EXPECT_TRUE(empty.ips->empty());
}

TEST(ListsTest, KindDefaultsToIp) {
  auto r = load_body("lists: {office: {items: [203.0.113.0/24]}}\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  EXPECT_EQ(r.config->lists.at("office").kind, ListKind::kIp);
}

TEST(ListsTest, EveryBadItemIsReportedAtItsPosition) {
  auto r = load_body(R"(
lists:
  bad:
    items:
      - 192.0.2.0/24
      - 192.0.2.0/33
      - not-an-ip
      - {a: b}
)");
  EXPECT_TRUE(
      has_error_at(r, 7, 9,
                   "lists.bad.items[1]: \"192.0.2.0/33\" is not an IP address or CIDR prefix (e.g. "
                   "192.0.2.0/24)"));
  EXPECT_TRUE(has_error_at(r, 8, 9, "\"not-an-ip\" is not an IP address or CIDR prefix"));
  EXPECT_TRUE(has_error_at(r, 9, 9, "lists.bad.items[3]: expected a string, got a map"));
  EXPECT_EQ(r.errors.size(), 3u) << all_errors(r);
}

TEST(ListsTest, ShapeErrors) {
  auto r = load_body(R"(
lists:
  both:
    items: [192.0.2.1]
    file: a.txt
  neither:
    kind: ip
  "bad name":
    items: []
  limits:
    items: [192.0.2.1]
    max_entries: 10
  dns:
    kind: dns
    items: []
  both:
    items: []
  scalar: 192.0.2.1
  typo:
    item: []
)");
  EXPECT_TRUE(has_error_at(r, 6, 11, "lists.both.file: a list has either items or file, not both"));
  EXPECT_TRUE(has_error_at(r, 8, 5,
                           "lists.neither: missing required key \"items\" (or \"file\"; a list "
                           "needs one of them)"));
  EXPECT_TRUE(has_error_at(r, 9, 3, "\"bad name\" is not a valid list name"));
  EXPECT_TRUE(has_error_at(r, 13, 18,
                           "lists.limits.max_entries: max_entries, max_bytes and max_change "
                           "apply to a list file; inline items are capped at 100000"));
  EXPECT_TRUE(has_error_at(r, 15, 11, "lists.dns.kind: \"dns\" is not one of: ip"));
  EXPECT_TRUE(has_error_at(r, 17, 3, "list \"both\" is defined twice; the first is at line 4"));
  EXPECT_TRUE(has_error_at(r, 19, 11,
                           "lists.scalar: expected a list map with items or file, got "
                           "\"192.0.2.1\""));
  EXPECT_TRUE(has_error_at(r, 21, 5, "unknown key \"item\"; did you mean \"items\"?"));
  EXPECT_EQ(r.errors.size(), 9u) << all_errors(r);  // typo also lacks items/file
  EXPECT_TRUE(has_error_at(r, 21, 5, "lists.typo: missing required key \"items\""));
}

TEST(ListsTest, ListsMustBeAMap) {
  auto r = load_body("lists: [a, b]\n");
  EXPECT_TRUE(has_error_at(r, 3, 8, "lists: expected a map from list names to lists, got a list"));
  auto empty = load_body("lists:\n");
  ASSERT_TRUE(empty.ok()) << all_errors(empty);
  EXPECT_TRUE(empty.config->lists.empty());
}

TEST(ListsTest, NumberOfListsCap) {
  auto make = [](size_t n) {
    std::string text = std::string(kHeadYaml) + "lists:\n";
    for (size_t i = 0; i < n; ++i) text += "  l" + std::to_string(i) + ": {items: []}\n";
    return text;
  };
  auto at_cap = load(make(1'000));
  ASSERT_TRUE(at_cap.ok()) << all_errors(at_cap).substr(0, 500);
  EXPECT_EQ(at_cap.config->lists.size(), 1'000u);
  auto over = load(make(1'001));
  EXPECT_TRUE(has_error_at(over, 4, 3, "too many lists: 1001 (the limit is 1000)"));
}

TEST(ListsTest, InlineItemsCap) {
  auto make = [](size_t n) {
    std::string text = std::string(kHeadYaml) + "lists:\n  big:\n    items: [";
    for (size_t i = 0; i < n; ++i) {
      if (i) text += ",";
      text += "10." + std::to_string(i >> 16) + "." + std::to_string((i >> 8) & 255) + "." +
              std::to_string(i & 255);
    }
    return text + "]\n";
  };
  auto at_cap = load(make(100'000));
  ASSERT_TRUE(at_cap.ok()) << all_errors(at_cap).substr(0, 500);
  EXPECT_EQ(at_cap.config->lists.at("big").ips->entry_count(), 100'000u);
  auto over = load(make(100'001));
  EXPECT_TRUE(has_error_at(over, 5, 12, "too many list items: 100001 (the limit is 100000)"));
}

// ---- list files ----

TEST(ListFilesTest, AbsolutePath) {
  TempDir dir("absolute");
  fs::path file = dir.write("tor.txt", "# exits\n192.0.2.1\n\n2001:db8::/48  # v6\n");
  auto r = load_body("lists:\n  tor_exits:\n    file: " + file.string() + "\n");
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const NamedList& list = r.config->lists.at("tor_exits");
  EXPECT_EQ(list.file, file.string());
  EXPECT_EQ(list.line, 4);
  EXPECT_TRUE(has_ip(list, "192.0.2.1"));
  EXPECT_TRUE(has_ip(list, "2001:db8:0:1::1"));
  EXPECT_FALSE(has_ip(list, "192.0.2.2"));
}

TEST(ListFilesTest, BadLinesAreReportedAtTheFileValue) {
  TempDir dir("bad_lines");
  fs::path file = dir.write("feed.txt", "192.0.2.1\nnope\n192.0.2.2\n10.0.0.0/99\n");
  auto r = load_body("lists:\n  feed:\n    file: " + file.string() + "\n");
  std::string prefix = "list \"feed\": " + file.string();
  EXPECT_TRUE(has_error_at(r, 5, 11, prefix + " line 2: \"nope\" is not an IP address"));
  EXPECT_TRUE(has_error_at(r, 5, 11, prefix + " line 4: \"10.0.0.0/99\" is not an IP address"));
  EXPECT_EQ(r.errors.size(), 2u) << all_errors(r);
}

TEST(ListFilesTest, MissingFile) {
  TempDir dir("missing");
  std::string path = (dir.path() / "absent.txt").string();
  auto r = load_body("lists:\n  gone:\n    file: " + path + "\n");
  EXPECT_TRUE(has_error_at(r, 5, 11, "list \"gone\": " + path + ": cannot open"));
  EXPECT_TRUE(r.config == nullptr);
}

TEST(ListFilesTest, Limits) {
  TempDir dir("limits");
  fs::path file = dir.write("three.txt", "192.0.2.1\n192.0.2.2\n192.0.2.3\n");
  auto with = [&](std::string_view limits) {
    return load_body("lists:\n  three:\n    file: " + file.string() + "\n" + std::string(limits));
  };
  auto fits = with("    max_entries: 3\n    max_bytes: 30\n");
  ASSERT_TRUE(fits.ok()) << all_errors(fits);
  auto too_many = with("    max_entries: 2\n");
  EXPECT_TRUE(has_error_at(too_many, 5, 11, "the file has 3 entries, more than the limit of 2"));
  auto too_big = with("    max_bytes: 29\n");
  EXPECT_TRUE(has_error_at(too_big, 5, 11, "larger than the limit"));
  auto out_of_range = with("    max_entries: 50000001\n    max_bytes: 2GiB\n");
  EXPECT_TRUE(has_error_at(out_of_range, 6, 18, "50000001 is out of range (1 to 50000000)"));
  EXPECT_TRUE(has_error_at(out_of_range, 7, 16, "\"2GiB\" is out of range (1 byte to 1GiB)"));
  EXPECT_EQ(out_of_range.errors.size(), 2u) << all_errors(out_of_range);
  auto zero = with("    max_entries: 0\n");
  EXPECT_TRUE(has_error_at(zero, 6, 18, "0 is out of range"));
  // The data feed's change ratio: 50% unless set; 0 turns the held-back check off.
  EXPECT_DOUBLE_EQ(fits.config->lists.at("three").max_change, 0.5);
  auto ratio = with("    max_change: 20%\n");
  ASSERT_TRUE(ratio.ok()) << all_errors(ratio);
  EXPECT_DOUBLE_EQ(ratio.config->lists.at("three").max_change, 0.2);
  auto off = with("    max_change: 0%\n");
  ASSERT_TRUE(off.ok()) << all_errors(off);
  EXPECT_DOUBLE_EQ(off.config->lists.at("three").max_change, 0.0);
  EXPECT_FALSE(with("    max_change: 2000%\n").ok());
}

TEST(ListFilesTest, BadPathValues) {
  auto r = load_body(R"(
lists:
  a: {file: ""}
  b: {file: [x]}
)");
  EXPECT_TRUE(has_error_at(r, 4, 13, "expected a file path, got an empty string"));
  EXPECT_TRUE(has_error_at(r, 5, 13, "lists.b.file: expected a string, got a list"));
  EXPECT_EQ(r.errors.size(), 2u) << all_errors(r);
}

TEST(ListFilesTest, RelativePathIsRelativeToTheConfigFile) {
  TempDir dir("relative");
  fs::path list = dir.write("lists/office.txt", "203.0.113.0/24\n");
  fs::path config = dir.write("conf/rampart.yaml", std::string(kHeadYaml) +
                                                       "lists:\n"
                                                       "  office:\n"
                                                       "    file: ../lists/office.txt\n");
  auto r = load_file(config.string());
  ASSERT_TRUE(r.ok()) << all_errors(r);
  const NamedList& office = r.config->lists.at("office");
  EXPECT_EQ(fs::path(office.file), list);
  EXPECT_TRUE(has_ip(office, "203.0.113.9"));
}

TEST(ListFilesTest, RelativePathOfAStringConfigIsRelativeToTheCurrentDirectory) {
  TempDir dir("cwd");
  dir.write("lists/office.txt", "203.0.113.0/24\n");
  std::string text = std::string(kHeadYaml) + "lists:\n  office:\n    file: lists/office.txt\n";
  // load_string's source name only names the text in messages; even one that looks
  // like a path in `dir` is not resolved against.
  auto elsewhere = load_string(text, (dir.path() / "rampart.yaml").string());
  fs::path old = fs::current_path();
  fs::current_path(dir.path());
  auto here = load_string(text, "<embedded>");
  fs::current_path(old);
  ASSERT_TRUE(here.ok()) << all_errors(here);
  EXPECT_EQ(here.config->lists.at("office").file, "lists/office.txt");
  EXPECT_TRUE(has_ip(here.config->lists.at("office"), "203.0.113.1"));
  EXPECT_TRUE(find_error(elsewhere, "cannot open")) << all_errors(elsewhere);
}

}  // namespace
}  // namespace rampart::config
