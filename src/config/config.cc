#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "config/loader_internal.h"
#include "config/value_parsers.h"

namespace rampart::config {

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string Diagnostic::to_string() const {
  if (line <= 0) return file + ": error: " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": error: " + message;
}

const ModuleSettings& Config::module(std::string_view name) const {
  static const ModuleSettings kDefault{};
  auto it = modules.find(name);
  return it == modules.end() ? kDefault : it->second;
}

LoadResult load_file(const std::string& path) {
  auto fail = [&](std::string message) {
    LoadResult result;
    result.errors.push_back(Diagnostic{path, 0, 0, std::move(message)});
    return result;
  };
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return fail(std::string("cannot open: ") + std::strerror(errno));
  // Read at most one byte past the cap: the size is only learned by reading, since
  // the path may be a pipe or a device that never ends.
  std::string text;
  constexpr size_t kChunk = 64 << 10;
  while (text.size() <= detail::kMaxFileBytes) {
    size_t old = text.size();
    text.resize(old + kChunk);
    size_t n = std::fread(text.data() + old, 1, kChunk, file.get());
    text.resize(old + n);
    if (n < kChunk) {
      if (std::ferror(file.get())) return fail(std::string("cannot read: ") + std::strerror(errno));
      break;
    }
  }
  if (text.size() > detail::kMaxFileBytes) {
    return fail("the file is larger than the limit of " + format_size(detail::kMaxFileBytes));
  }
  return load_string(text, path);
}

namespace detail {

void Diagnostics::error(Pos pos, std::string message) {
  if (stopped_) return;
  if (list_.size() >= kMaxErrors) {
    truncated_ = true;
    stopped_ = true;
    return;
  }
  list_.push_back(Diagnostic{file_, pos.line, pos.column, std::move(message)});
}

void Diagnostics::fatal(Pos pos, std::string message) {
  error(pos, std::move(message));
  stopped_ = true;
}

std::vector<Diagnostic> Diagnostics::finish() {
  std::stable_sort(list_.begin(), list_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  if (truncated_) {
    list_.push_back(Diagnostic{
        file_, 0, 0, "too many errors; stopped after the first " + std::to_string(kMaxErrors)});
  }
  return std::move(list_);
}

namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + cost});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string_view>& known) {
  // Long garbage keys are not typos, and the distance is quadratic in length.
  if (word.empty() || word.size() > 64) return {};
  std::string lower = to_lower(word);
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (std::string_view k : known) {
    size_t d = lower == k ? 0 : edit_distance(lower, k);
    if (d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  size_t allowed = std::max<size_t>(1, std::min(word.size(), best.size()) / 3);
  if (best_distance > allowed) return {};
  return std::string(best);
}

}  // namespace detail
}  // namespace rampart::config
