#pragma once
// Loads a corpus of detector inputs from tests/unit/seclang/data/: one input per line,
// blank lines skipped.

#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace rampart::seclang::testing {

// __FILE__ is relative to the build directory when ccache rewrites paths, so the data
// directory is also looked for above the test binary and the working directory.
inline std::filesystem::path corpus_dir() {
  namespace fs = std::filesystem;
  const fs::path beside_source = fs::path(__FILE__).parent_path() / "data";
  if (fs::is_directory(beside_source)) return beside_source;
  std::error_code ec;
  for (fs::path start :
       {fs::read_symlink("/proc/self/exe", ec).parent_path(), fs::current_path(ec)}) {
    for (fs::path dir = start; !dir.empty(); dir = dir.parent_path()) {
      const fs::path candidate = dir / "tests/unit/seclang/data";
      if (fs::is_directory(candidate)) return candidate;
      if (dir == dir.parent_path()) break;
    }
  }
  return beside_source;
}

inline std::vector<std::string> load_corpus(const std::string& name) {
  std::ifstream in(corpus_dir() / name);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace rampart::seclang::testing
