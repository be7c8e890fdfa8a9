#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
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

namespace {

// Far beyond any expression (16 KiB); keeps a wild offset from overflowing a column.
constexpr size_t kMaxExpressionColumns = size_t{1} << 20;

}  // namespace

SourceText::Position SourceText::locate(size_t offset) const {
  if (lines.empty()) return Position{line, column};
  auto after = std::upper_bound(lines.begin(), lines.end(), offset,
                                [](size_t off, const Line& l) { return off < l.offset; });
  // An offset before the first line cannot happen (it starts at 0); clamp all the same.
  const Line& l = after == lines.begin() ? lines.front() : *(after - 1);
  size_t delta = offset >= l.offset ? offset - l.offset : 0;
  delta = std::min<size_t>(delta, kMaxExpressionColumns);
  return Position{l.line, l.column + static_cast<int>(delta)};
}

std::string_view rule_action_name(RuleAction action) {
  switch (action) {
    case RuleAction::kBlock:
      return "block";
    case RuleAction::kAllow:
      return "allow";
    case RuleAction::kLog:
      return "log";
    case RuleAction::kSkip:
      return "skip";
    case RuleAction::kChallenge:
      return "challenge";
    case RuleAction::kJsChallenge:
      return "js_challenge";
    case RuleAction::kManagedChallenge:
      return "managed_challenge";
    case RuleAction::kRedirect:
      return "redirect";
    case RuleAction::kRewrite:
      return "rewrite";
    case RuleAction::kRoute:
      return "route";
  }
  return "unknown";
}

std::string_view steering_name(Steering steering) {
  switch (steering) {
    case Steering::kRoundRobin:
      return "round_robin";
    case Steering::kRandom:
      return "random";
    case Steering::kLeastOutstanding:
      return "least_outstanding";
    case Steering::kPowerOfTwo:
      return "p2c";
    case Steering::kLatency:
      return "latency";
    case Steering::kHash:
      return "hash";
  }
  return "unknown";
}

const Pool* Config::pool(std::string_view name) const {
  for (const Pool& p : pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
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
  // List files named in the config are relative to the config's own directory, so a
  // config and its lists move together.
  return detail::load_text(text, path, std::filesystem::path(path).parent_path().string());
}

namespace detail {

void Diagnostics::error(Pos pos, std::string message) {
  if (stopped_) return;
  if (list_.size() >= kMaxErrors) {
    truncated_ = true;
    stopped_ = true;
    return;
  }
  // Values are quoted with escapes where messages are built, but yaml-cpp's own
  // messages may carry a raw byte of the input ("unknown escape character: \n"). A
  // diagnostic is one log line whatever the file holds.
  std::string clean;
  clean.reserve(message.size());
  for (char c : message) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      clean += "\\x";
      clean += kHex[u >> 4];
      clean += kHex[u & 15];
    } else {
      clean += c;
    }
  }
  list_.push_back(Diagnostic{file_, pos.line, pos.column, std::move(clean)});
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

// Optimal string alignment distance: Levenshtein plus swaps of adjacent characters,
// the most common typo ("nmae").
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string_view>& known) {
  // Long garbage keys are not typos, and the distance is quadratic in length.
  if (word.empty() || word.size() > 64) return {};
  std::string lower = to_lower(word);
  std::string_view best;
  size_t best_score = SIZE_MAX;
  for (std::string_view k : known) {
    size_t d = edit_distance(lower, k);
    size_t allowed = std::max<size_t>(1, std::min(lower.size(), k.size()) / 3);
    // A shortened or lengthened name ("warning" for "warn", "connect" for
    // "upstream_connect") is far in edits but an obvious intent.
    bool contained =
        std::min(lower.size(), k.size()) >= 4 &&
        (lower.find(k) != std::string::npos || k.find(lower) != std::string_view::npos);
    if (d > allowed && !contained) continue;
    if (d < best_score) {
      best = k;
      best_score = d;
    }
  }
  return std::string(best);
}

}  // namespace detail
}  // namespace rampart::config
