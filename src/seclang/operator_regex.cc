// @rx: RE2 where it reads the pattern as PCRE would, PCRE2 otherwise; for dynamic
// patterns (`@rx ^%{tx.y}$`) a small per-thread cache of compiled expansions.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <list>
#include <utility>

#include "seclang/operator_internal.h"
#include "seclang/operator_regex.h"

namespace rampart::seclang::detail {
namespace {

constexpr int kMaxGroups = 10;  // group 0 + TX.1 .. TX.9
// RE2's memory budget per regex (compiled program plus the DFA state cache it fills
// lazily). A few hundred CRS regexes live at once, so the cache a hostile input can
// fill is bounded low; every CRS 3.3 pattern still compiles within it, and a DFA that
// runs out of room resets or falls back to RE2's NFA (slower, still linear).
constexpr int64_t kRe2MaxMem = 2 << 20;

pcre2_code* as_code(void* p) {
  return static_cast<pcre2_code*>(p);
}

// Per-thread PCRE2 match state: the match data holds 10 pairs (groups beyond 9 are
// never reported), the JIT stack lets deep patterns run before the match limit stops
// them.
struct PcreThreadState {
  pcre2_match_data* data = nullptr;
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  PcreThreadState() {
    data = pcre2_match_data_create(kMaxGroups, nullptr);
    context = pcre2_match_context_create(nullptr);
    stack = pcre2_jit_stack_create(32 << 10, 1 << 20, nullptr);
    if (context != nullptr && stack != nullptr) pcre2_jit_stack_assign(context, nullptr, stack);
  }
  ~PcreThreadState() {
    pcre2_jit_stack_free(stack);
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
  }
  PcreThreadState(const PcreThreadState&) = delete;
  PcreThreadState& operator=(const PcreThreadState&) = delete;
};

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// Whether some inline option group turns on case-insensitivity: (?i), (?si:, (?x-s:i) ...
bool turns_on_caseless(std::string_view p) {
  for (size_t i = 0; i + 2 < p.size(); ++i) {
    if (p[i] == '\\') {
      ++i;
      continue;
    }
    if (p[i] != '(' || p[i + 1] != '?') continue;
    for (size_t j = i + 2; j < p.size(); ++j) {
      char c = p[j];
      if (c == 'i') return true;
      if (c == '-' || c == ')' || c == ':' || !((c >= 'a' && c <= 'z') || c == '^')) break;
    }
  }
  return false;
}

class RxOperator final : public Operator {
 public:
  explicit RxOperator(std::unique_ptr<PcreCompatRegex> re) : re_(std::move(re)) {}
  MatchResult match(std::string_view input, std::string_view, Captures* captures) const override {
    return re_->match(input, captures);
  }
  const std::string* static_regex() const override { return &re_->pattern(); }

 private:
  std::unique_ptr<PcreCompatRegex> re_;
};

// Expanded patterns differ per request only through the macro values, which repeat
// (a handful of tx values); a few dozen entries per thread cover them without letting
// a hostile stream of distinct values grow memory.
class DynamicRxOperator final : public Operator {
 public:
  explicit DynamicRxOperator(size_t match_limit) : match_limit_(match_limit) {}
  MatchResult match(std::string_view input, std::string_view argument,
                    Captures* captures) const override {
    const PcreCompatRegex* re = lookup(argument);
    if (re == nullptr) return MatchResult::kError;  // the expansion is not a valid regex
    return re->match(input, captures);
  }

 private:
  static constexpr size_t kCacheEntries = 32;
  struct Entry {
    size_t match_limit;
    std::string pattern;
    std::shared_ptr<PcreCompatRegex> re;  // null: the pattern did not compile
  };

  const PcreCompatRegex* lookup(std::string_view pattern) const {
    // One list per thread shared by all dynamic @rx, most recently used first, keyed by
    // the match limit too since rule sets may set different ones.
    thread_local std::list<Entry> cache;
    for (auto it = cache.begin(); it != cache.end(); ++it) {
      if (it->match_limit == match_limit_ && it->pattern == pattern) {
        if (it != cache.begin()) cache.splice(cache.begin(), cache, it);
        return cache.front().re.get();
      }
    }
    std::string error;
    std::shared_ptr<PcreCompatRegex> re =
        PcreCompatRegex::compile(std::string(pattern), match_limit_, error);
    cache.push_front(Entry{match_limit_, std::string(pattern), std::move(re)});
    if (cache.size() > kCacheEntries) cache.pop_back();
    return cache.front().re.get();
  }

  size_t match_limit_;
};

}  // namespace

std::string rewrite_for_re2(std::string_view p) {
  std::string out;
  out.reserve(p.size() + 16);
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      char e = p[i + 1];
      if (e == 'Q') {  // \Q...\E is literal text: copy it untouched
        size_t end = p.find("\\E", i + 2);
        size_t stop = end == std::string_view::npos ? p.size() : end + 2;
        out.append(p.substr(i, stop - i));
        i = stop - 1;
        continue;
      }
      if (e == 's') {
        out += in_class ? "\\s\\x0B" : "[\\s\\x0B]";
      } else if (e == 'S' && !in_class) {
        out += "[^\\s\\x0B]";  // inside a class \S keeps RE2's meaning (VT included)
      } else {
        out += c;
        out += e;
      }
      ++i;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      if (i + 1 < p.size() && p[i + 1] == '^') out += p[++i];
      if (i + 1 < p.size() && p[i + 1] == ']') out += p[++i];  // a leading ']' is literal
      continue;
    }
    if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
      size_t end = p.find(":]", i + 2);
      if (end != std::string_view::npos) {
        out.append(p.substr(i, end + 2 - i));
        i = end + 1;
        continue;
      }
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

bool has_line_start_anchor(std::string_view p) {
  bool in_class = false;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      if (p[i + 1] == 'Q') {
        size_t end = p.find("\\E", i + 2);
        if (end == std::string_view::npos) return false;
        i = end + 1;
      } else {
        ++i;
      }
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      if (i + 1 < p.size() && p[i + 1] == '^') ++i;
      if (i + 1 < p.size() && p[i + 1] == ']') ++i;
      continue;
    }
    if (in_class && c == '[' && i + 1 < p.size() && p[i + 1] == ':') {
      size_t end = p.find(":]", i + 2);
      if (end != std::string_view::npos) {
        i = end + 1;
        continue;
      }
    }
    if (in_class && c == ']') in_class = false;
    if (!in_class && c == '^') return true;
  }
  return false;
}

bool needs_pcre_semantics(std::string_view p) {
  if (!turns_on_caseless(p)) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    auto b = static_cast<unsigned char>(p[i]);
    if (b >= 0x80) return true;
    if (p[i] != '\\' || i + 1 >= p.size()) continue;
    ++i;
    if (p[i] != 'x') continue;
    if (i + 1 < p.size() && p[i + 1] == '{') {
      size_t end = p.find('}', i + 2);
      if (end == std::string_view::npos) continue;
      std::string_view digits = p.substr(i + 2, end - i - 2);
      while (!digits.empty() && digits.front() == '0') digits.remove_prefix(1);
      if (digits.size() > 2 || (digits.size() == 2 && digits[0] >= '8')) return true;
    } else if (i + 2 < p.size() && is_hex(p[i + 1]) && is_hex(p[i + 2])) {
      char hi = p[i + 1];
      if (!(hi >= '0' && hi <= '7')) return true;
    }
  }
  return false;
}

std::unique_ptr<PcreCompatRegex> PcreCompatRegex::compile(const std::string& pattern,
                                                          size_t match_limit, std::string& error) {
  std::unique_ptr<PcreCompatRegex> re(new PcreCompatRegex());
  re->pattern_ = pattern;
  re->match_limit_ = match_limit;
  if (!needs_pcre_semantics(pattern)) {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingLatin1);
    options.set_dot_nl(true);  // PCRE2_DOTALL
    options.set_log_errors(false);
    options.set_max_mem(kRe2MaxMem);
    // (?m) is PCRE2_MULTILINE: ModSecurity v3 compiles every @rx with it.
    std::string rewritten = "(?m)" + rewrite_for_re2(pattern);
    auto compiled =
        std::make_unique<RE2>(re2::StringPiece(rewritten.data(), rewritten.size()), options);
    if (compiled->ok()) {
      re->groups_ = compiled->NumberOfCapturingGroups();
      re->re2_ = std::move(compiled);
      // RE2's multi-line ^ also matches after a newline that ends the input, PCRE's
      // does not: such inputs go to a PCRE2 twin of the pattern.
      if (!has_line_start_anchor(pattern)) return re;
    }
  }
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* pc = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_DOTALL | PCRE2_MULTILINE, &code, &offset, nullptr);
  if (pc == nullptr && re->re2_) return re;  // keep RE2 alone; PCRE2 has its own limits
  if (pc == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(code, message, sizeof(message));
    error = "invalid regular expression at offset " + std::to_string(offset) + ": " +
            reinterpret_cast<const char*>(message);
    return nullptr;
  }
  // Without JIT (e.g. no executable memory) the interpreter runs the same pattern.
  pcre2_jit_compile(pc, PCRE2_JIT_COMPLETE);
  uint32_t groups = 0;
  pcre2_pattern_info(pc, PCRE2_INFO_CAPTURECOUNT, &groups);
  if (!re->re2_) re->groups_ = static_cast<int>(groups);
  re->pcre_ = pc;
  return re;
}

PcreCompatRegex::~PcreCompatRegex() {
  if (pcre_ != nullptr) pcre2_code_free(as_code(pcre_));
}

MatchResult PcreCompatRegex::match(std::string_view input, Captures* captures) const {
  bool re2_differs = pcre_ != nullptr && !input.empty() && input.back() == '\n';
  return re2_ && !re2_differs ? match_re2(input, captures) : match_pcre2(input, captures);
}

MatchResult PcreCompatRegex::match_re2(std::string_view input, Captures* captures) const {
  // A null data pointer would make an empty group 0 look like "did not participate".
  re2::StringPiece text(input.empty() ? "" : input.data(), input.size());
  if (captures == nullptr) {
    // No submatches: RE2 answers from its DFA alone.
    return re2_->Match(text, 0, text.size(), RE2::UNANCHORED, nullptr, 0) ? MatchResult::kMatch
                                                                          : MatchResult::kNoMatch;
  }
  int n = std::min(groups_ + 1, kMaxGroups);
  re2::StringPiece groups[kMaxGroups];
  if (!re2_->Match(text, 0, text.size(), RE2::UNANCHORED, groups, n)) return MatchResult::kNoMatch;
  captures->count = 0;
  for (int i = 0; i < n; ++i) {
    if (groups[i].data() == nullptr) {
      captures->groups[i].clear();  // the group did not take part in the match
      continue;
    }
    captures->groups[i].assign(groups[i].data(), groups[i].size());
    captures->count = i + 1;
  }
  return MatchResult::kMatch;
}

MatchResult PcreCompatRegex::match_pcre2(std::string_view input, Captures* captures) const {
  thread_local PcreThreadState state;
  if (state.data == nullptr || state.context == nullptr) return MatchResult::kError;
  pcre2_set_match_limit(state.context,
                        static_cast<uint32_t>(std::min<size_t>(match_limit_, UINT32_MAX)));
  static const char kEmpty[] = "";
  auto subject = reinterpret_cast<PCRE2_SPTR>(input.empty() ? kEmpty : input.data());
  int rc = pcre2_match(as_code(pcre_), subject, input.size(), 0, 0, state.data, state.context);
  if (rc == PCRE2_ERROR_NOMATCH) return MatchResult::kNoMatch;
  if (rc < 0) return MatchResult::kError;  // match/depth/heap/JIT stack limit
  if (captures != nullptr) {
    // rc == 0: more groups than the match data holds; the first 10 are still set.
    int n = rc == 0 ? kMaxGroups : std::min(rc, kMaxGroups);
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(state.data);
    captures->count = 0;
    for (int i = 0; i < n; ++i) {
      if (ov[2 * i] == PCRE2_UNSET || ov[2 * i + 1] < ov[2 * i]) {
        captures->groups[i].clear();
        continue;
      }
      captures->groups[i].assign(input.substr(ov[2 * i], ov[2 * i + 1] - ov[2 * i]));
      captures->count = i + 1;
    }
  }
  return MatchResult::kMatch;
}

std::unique_ptr<Operator> make_regex_operator(std::string_view name, const std::string& argument,
                                              bool dynamic, const OperatorLoadContext& context,
                                              std::string& error) {
  if (!iequals(name, "rx")) return nullptr;
  if (dynamic) return std::make_unique<DynamicRxOperator>(context.pcre_match_limit);
  auto re = PcreCompatRegex::compile(argument, context.pcre_match_limit, error);
  if (!re) return nullptr;
  return std::make_unique<RxOperator>(std::move(re));
}

}  // namespace rampart::seclang::detail
