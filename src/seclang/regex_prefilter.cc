// RegexPrefilter on Vectorscan: every pattern compiled in prefilter mode into one block
// database, so a single pass tells which rules' regexes can match. A pattern Vectorscan
// cannot take even as a prefilter is reported as "may match" on every scan, so the
// answer never depends on what Vectorscan supports.

#include <hs/hs.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <utility>

#include "seclang/operator.h"

namespace rampart::seclang {
namespace {

// The @rx semantics: PCRE compiled with DOTALL and MULTILINE, on bytes. SINGLEMATCH:
// one report per pattern is all the prefilter needs. ALLOWEMPTY: patterns that match
// the empty string must still be reported.
constexpr unsigned kFlags = HS_FLAG_PREFILTER | HS_FLAG_DOTALL | HS_FLAG_MULTILINE |
                            HS_FLAG_SINGLEMATCH | HS_FLAG_ALLOWEMPTY;

std::atomic<uint64_t> next_database_id{1};

// One scratch per thread, grown by hs_alloc_scratch to fit every database the thread
// scans; `sized_for` remembers which ones it already fits.
struct ThreadScratch {
  hs_scratch_t* scratch = nullptr;
  std::vector<uint64_t> sized_for;
  ~ThreadScratch() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};

hs_scratch_t* scratch_for(const std::vector<hs_database_t*>& dbs, uint64_t id) {
  thread_local ThreadScratch state;
  if (std::find(state.sized_for.begin(), state.sized_for.end(), id) != state.sized_for.end()) {
    return state.scratch;
  }
  for (const hs_database_t* db : dbs) {
    if (hs_alloc_scratch(db, &state.scratch) != HS_SUCCESS) return nullptr;
  }
  // Rule sets get rebuilt on reload: forget old ids rather than grow forever (asking
  // again for a database the scratch already fits costs one size check).
  if (state.sized_for.size() >= 256) state.sized_for.clear();
  state.sized_for.push_back(id);
  return state.scratch;
}

class VectorscanPrefilter final : public RegexPrefilter {
 public:
  VectorscanPrefilter(std::vector<hs_database_t*> dbs, std::vector<uint32_t> always,
                      uint32_t pattern_count)
      : dbs_(std::move(dbs)), always_(std::move(always)), pattern_count_(pattern_count) {}
  ~VectorscanPrefilter() override {
    for (hs_database_t* db : dbs_) hs_free_database(db);
  }

  void scan(std::string_view input, std::vector<uint32_t>& may_match) const override {
    size_t first = may_match.size();
    may_match.insert(may_match.end(), always_.begin(), always_.end());
    if (dbs_.empty()) return;
    hs_scratch_t* scratch = scratch_for(dbs_, id_);
    bool ok = scratch != nullptr && input.size() <= UINT32_MAX;
    static const char kEmpty[] = "";
    for (size_t i = 0; ok && i < dbs_.size(); ++i) {
      ok = hs_scan(dbs_[i], input.empty() ? kEmpty : input.data(),
                   static_cast<unsigned>(input.size()), 0, scratch, &on_match,
                   &may_match) == HS_SUCCESS;
    }
    if (ok) return;
    // Vectorscan could not answer: every pattern may match.
    may_match.resize(first);
    for (uint32_t i = 0; i < pattern_count_; ++i) may_match.push_back(i);
  }

 private:
  static int on_match(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
    static_cast<std::vector<uint32_t>*>(ctx)->push_back(id);
    return 0;
  }

  std::vector<hs_database_t*> dbs_;
  std::vector<uint32_t> always_;
  uint32_t pattern_count_;
  uint64_t id_ = next_database_id.fetch_add(1);
};

// Whether Vectorscan takes the pattern alone (a cheap parse, no database built).
bool accepted_alone(const std::string& pattern) {
  if (pattern.find('\0') != std::string::npos) return false;  // hs wants C strings
  hs_expr_info_t* info = nullptr;
  hs_compile_error_t* err = nullptr;
  hs_error_t rc = hs_expression_info(pattern.c_str(), kFlags, &info, &err);
  if (info != nullptr) free(info);  // allocated with the default allocator (malloc)
  if (err != nullptr) hs_free_compile_error(err);
  return rc == HS_SUCCESS;
}

// Compiles `ids` into one database; a pattern Vectorscan refuses within the set (it
// names it) moves to `always` and the rest are tried again. Null when the set as a
// whole fails (`error` set).
hs_database_t* compile_set(const std::vector<std::string>& patterns, std::vector<uint32_t> ids,
                           std::vector<uint32_t>& always, std::string& error) {
  while (!ids.empty()) {
    std::vector<const char*> expressions;
    std::vector<unsigned> flags(ids.size(), kFlags);
    for (uint32_t id : ids) expressions.push_back(patterns[id].c_str());
    hs_database_t* db = nullptr;
    hs_compile_error_t* err = nullptr;
    hs_error_t rc =
        hs_compile_multi(expressions.data(), flags.data(), ids.data(),
                         static_cast<unsigned>(ids.size()), HS_MODE_BLOCK, nullptr, &db, &err);
    if (rc == HS_SUCCESS) return db;
    int bad = err != nullptr ? err->expression : -1;
    if (bad < 0 || static_cast<size_t>(bad) >= ids.size()) {
      error = "vectorscan: ";
      error += err != nullptr && err->message != nullptr ? err->message : "compile failed";
      if (err != nullptr) hs_free_compile_error(err);
      return nullptr;
    }
    hs_free_compile_error(err);
    always.push_back(ids[bad]);
    ids.erase(ids.begin() + bad);
  }
  return nullptr;
}

// Vectorscan's compile time grows faster than linearly with the set (the whole CRS in
// one database: ~28 s of CPU, 8.7 MB), while scanning a few databases instead of one
// costs little; sets of up to 64 patterns and 8 KB of pattern text measured best
// (~6 s, 6.6 MB, scans no slower).
constexpr size_t kMaxPatternsPerDatabase = 64;
constexpr size_t kMaxPatternBytesPerDatabase = 8000;

}  // namespace

std::unique_ptr<RegexPrefilter> build_regex_prefilter(const std::vector<std::string>& patterns,
                                                      std::string& error) {
  error.clear();
  std::vector<uint32_t> always;
  std::vector<uint32_t> accepted;
  for (uint32_t i = 0; i < patterns.size(); ++i) {
    (accepted_alone(patterns[i]) ? accepted : always).push_back(i);
  }
  std::vector<hs_database_t*> dbs;
  auto fail = [&] {
    for (hs_database_t* db : dbs) hs_free_database(db);
    return nullptr;
  };
  for (size_t start = 0, next = 0; start < accepted.size(); start = next) {
    size_t bytes = 0;
    while (
        next < accepted.size() && next - start < kMaxPatternsPerDatabase &&
        (next == start || bytes + patterns[accepted[next]].size() <= kMaxPatternBytesPerDatabase)) {
      bytes += patterns[accepted[next++]].size();
    }
    std::vector<uint32_t> ids(accepted.begin() + start, accepted.begin() + next);
    hs_database_t* db = compile_set(patterns, std::move(ids), always, error);
    if (!error.empty()) return fail();
    if (db != nullptr) dbs.push_back(db);
  }
  std::sort(always.begin(), always.end());
  return std::make_unique<VectorscanPrefilter>(std::move(dbs), std::move(always),
                                               static_cast<uint32_t>(patterns.size()));
}

}  // namespace rampart::seclang
