// Helpers shared by the operator families (kept apart from the factory, so that code
// using one family, e.g. the regex class in a benchmark, links without the others).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "seclang/operator_internal.h"

namespace rampart::seclang::detail {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
    if (x != y) return false;
  }
  return true;
}

std::string file_name_macro_error(std::string_view name) {
  std::string message = "@";
  message += name;
  message += " does not take macros in its file name";
  return message;
}

std::string resolve_data_path(std::string_view path, const OperatorLoadContext& context) {
  if (path.starts_with('/') || context.rules_dir.empty()) return std::string(path);
  std::string out = context.rules_dir;
  if (!out.ends_with('/')) out += '/';
  out += path;
  return out;
}

std::optional<std::string> read_data_file(const std::string& path, size_t max_bytes,
                                          std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string content;
  char buf[16384];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = "cannot read " + path + ": " + std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    if (content.size() + static_cast<size_t>(n) > max_bytes) {
      error = path + " is larger than " + std::to_string(max_bytes) + " bytes";
      ::close(fd);
      return std::nullopt;
    }
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

}  // namespace rampart::seclang::detail
