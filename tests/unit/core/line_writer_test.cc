// LineWriter: lines written from workers reach the file, complete and in order, once
// flush_and_stop() returns.

#include "core/line_writer.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using rampart::core::LineWriter;

class LineWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (std::filesystem::temp_directory_path() / "rampart_lw_XXXXXX").string();
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    char* dir = ::mkdtemp(buf.data());
    ASSERT_NE(dir, nullptr);
    dir_ = dir;
    path_ = (dir_ / "access.log").string();
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string contents() const {
    std::ifstream in(path_, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(LineWriterTest, AllLinesPresentInOrderAfterFlushAndStop) {
  LineWriter writer;
  std::string error;
  ASSERT_TRUE(writer.open(path_, error)) << error;
  EXPECT_EQ(writer.target(), path_);
  std::string expected;
  for (int i = 0; i < 5000; ++i) {
    std::string line = "{\"n\":" + std::to_string(i) + "}\n";
    writer.write(line);
    expected += line;
  }
  writer.flush_and_stop();
  EXPECT_EQ(contents(), expected);
  EXPECT_EQ(writer.dropped(), 0u);
}

TEST_F(LineWriterTest, LinesFromSeveralThreadsAreNeverTornOrLost) {
  LineWriter writer;
  std::string error;
  ASSERT_TRUE(writer.open(path_, error)) << error;
  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&writer, t] {
      for (int i = 0; i < kLines; ++i) {
        writer.write("t" + std::to_string(t) + " " + std::to_string(i) + " " +
                     std::string(static_cast<size_t>(i % 50), 'x') + "\n");
      }
    });
  }
  for (auto& th : threads) th.join();
  writer.flush_and_stop();

  std::istringstream in(contents());
  std::vector<int> next(kThreads, 0);
  std::string line;
  int total = 0;
  while (std::getline(in, line)) {
    ASSERT_EQ(line[0], 't') << line;
    int t = line[1] - '0';
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    std::istringstream fields(line.substr(3));
    int i = -1;
    fields >> i;
    // Each thread's lines appear in the order it wrote them.
    ASSERT_EQ(i, next[t]) << line;
    ASSERT_EQ(line, "t" + std::to_string(t) + " " + std::to_string(i) + " " +
                        std::string(static_cast<size_t>(i % 50), 'x'));
    ++next[t];
    ++total;
  }
  EXPECT_EQ(total, kThreads * kLines);
  EXPECT_EQ(writer.dropped(), 0u);
}

TEST_F(LineWriterTest, OpenAppendsToAnExistingFile) {
  {
    std::ofstream out(path_);
    out << "old line\n";
  }
  LineWriter writer;
  std::string error;
  ASSERT_TRUE(writer.open(path_, error)) << error;
  writer.write("new line\n");
  writer.flush_and_stop();
  EXPECT_EQ(contents(), "old line\nnew line\n");
}

TEST_F(LineWriterTest, DestructorFlushes) {
  {
    LineWriter writer;
    std::string error;
    ASSERT_TRUE(writer.open(path_, error)) << error;
    writer.write("a\n");
    writer.write("b\n");
  }
  EXPECT_EQ(contents(), "a\nb\n");
}

TEST_F(LineWriterTest, FlushAndStopTwiceIsHarmless) {
  LineWriter writer;
  std::string error;
  ASSERT_TRUE(writer.open(path_, error)) << error;
  writer.write("once\n");
  writer.flush_and_stop();
  writer.flush_and_stop();
  EXPECT_EQ(contents(), "once\n");
}

TEST_F(LineWriterTest, OpenFailureIsReported) {
  LineWriter writer;
  std::string error;
  std::string bad = (dir_ / "no-such-dir" / "x.log").string();
  EXPECT_FALSE(writer.open(bad, error));
  EXPECT_NE(error.find("cannot open '" + bad + "'"), std::string::npos) << error;
  writer.flush_and_stop();  // nothing started: must not hang or crash
}

TEST(LineWriter, NeverOpenedIsSafeToDestroy) {
  LineWriter writer;
  EXPECT_EQ(writer.dropped(), 0u);
}

}  // namespace
