#pragma once
// SecLang operators (`@rx`, `@pm`, `@within`, ...): compiled once at load, evaluated per
// variable value. Negation (`!@op`) and macro expansion are the engine's business: an
// operator whose argument holds macros (`@within %{tx.allowed_methods}`) is compiled
// with `dynamic_argument` and receives the expanded text on every call.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "seclang/ast.h"

namespace rampart::seclang {

struct OperatorLoadContext {
  std::string rules_dir;            // directory of the rule's file (for @pmFromFile etc.)
  size_t pcre_match_limit = 10000;  // SecPcreMatchLimit-like cap for the PCRE2 fallback
  size_t max_data_file_bytes = 4u << 20;
};

// @rx capture groups (TX.0 .. TX.9) when the rule has the `capture` action.
struct Captures {
  std::array<std::string, 10> groups;
  int count = 0;
};

enum class MatchResult : uint8_t {
  kNoMatch,
  kMatch,
  kError,  // e.g. PCRE2 match limit hit: the engine counts it and treats it as no match
};

class Operator {
 public:
  virtual ~Operator() = default;
  // `argument` is the expanded argument for dynamic operators, else the load-time one.
  // `captures` is null unless the rule captures. Thread-safe (shared by all workers).
  virtual MatchResult match(std::string_view input, std::string_view argument,
                            Captures* captures) const = 0;
  // For an @rx with a static pattern: the pattern, so the engine can put it into the
  // Vectorscan prefilter for its variable; nullptr otherwise.
  virtual const std::string* static_regex() const { return nullptr; }
};

// nullptr and `error` set if the operator is unknown or its argument invalid (bad regex,
// unreadable data file, ...). `spec.negated` is ignored here.
std::unique_ptr<Operator> compile_operator(const OperatorSpec& spec, bool dynamic_argument,
                                           const OperatorLoadContext& context, std::string& error);

// The regexes of every rule that runs on the same variable, matched together in one
// Vectorscan pass (HS_FLAG_PREFILTER, so constructs Vectorscan lacks only widen the
// match); `scan` reports the indices that may match, which are then confirmed by each
// rule's own operator.
class RegexPrefilter {
 public:
  virtual ~RegexPrefilter() = default;
  // Appends to `may_match` (unsorted, no duplicates) the indices into the pattern list
  // given at build time. Thread-safe: scratch space is per thread.
  virtual void scan(std::string_view input, std::vector<uint32_t>& may_match) const = 0;
};
// nullptr and `error` if Vectorscan rejects the set even in prefilter mode; the engine
// then confirms every rule directly.
std::unique_ptr<RegexPrefilter> build_regex_prefilter(const std::vector<std::string>& patterns,
                                                      std::string& error);
// The prefilter on the literals each pattern requires (RE2's FilteredRE2 and one
// Aho-Corasick pass): built in milliseconds, cheap on short values. Patterns it cannot
// reason about are reported on every scan; nullptr when that is every pattern.
std::unique_ptr<RegexPrefilter> build_literal_prefilter(const std::vector<std::string>& patterns);

}  // namespace rampart::seclang
