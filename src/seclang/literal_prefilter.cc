// RegexPrefilter on the literals a regex cannot match without: RE2's FilteredRE2 reduces
// every pattern to an AND/OR tree of lower-case strings ("atoms"), one Aho-Corasick pass
// over the value finds the atoms present, and the tree then names the patterns that may
// match. Unlike Vectorscan it is cheap to build (done at load) and to run on short values
// (a header, a cookie), where most CRS patterns are settled without running them.

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <deque>
#include <memory>
#include <utility>

#include "seclang/operator.h"
#include "seclang/operator_regex.h"

namespace rampart::seclang {
namespace {

// Shorter atoms would make the prefilter report almost everything on ordinary text.
constexpr int kMinAtomLength = 3;

uint8_t lower(uint8_t c) {
  return c >= 'A' && c <= 'Z' ? static_cast<uint8_t>(c + ('a' - 'A')) : c;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RE2's prefilter folds only ASCII case in Latin-1 mode: a pattern naming a byte >= 0x80
// (raw or escaped) could need a fold it does not make, so such patterns are never filtered.
bool ascii_only(std::string_view p) {
  for (size_t i = 0; i < p.size(); ++i) {
    if (static_cast<unsigned char>(p[i]) >= 0x80) return false;
    if (p[i] != '\\' || i + 1 >= p.size()) continue;
    char e = p[++i];
    if (e == 'x') {
      if (i + 1 < p.size() && p[i + 1] == '{') return false;
      if (i + 2 < p.size() && is_hex(p[i + 1]) && is_hex(p[i + 2]) &&
          !(p[i + 1] >= '0' && p[i + 1] <= '7')) {
        return false;
      }
    } else if (e >= '0' && e <= '9') {
      return false;  // octal escapes and backreferences: leave them to the regex
    }
  }
  return true;
}

class LiteralPrefilter final : public RegexPrefilter {
 public:
  explicit LiteralPrefilter(const std::vector<std::string>& patterns) : filter_(kMinAtomLength) {
    RE2::Options options;
    options.set_encoding(RE2::Options::EncodingLatin1);
    options.set_dot_nl(true);
    options.set_log_errors(false);
    options.set_max_mem(2 << 20);
    for (uint32_t i = 0; i < patterns.size(); ++i) {
      const std::string& p = patterns[i];
      int id = -1;
      if (ascii_only(p) && !detail::needs_pcre_semantics(p)) {
        // The same program the @rx operator runs ("(?m)": ModSecurity's PCRE2_MULTILINE).
        std::string re2_form = "(?m)" + detail::rewrite_for_re2(p);
        if (filter_.Add(re2_form, options, &id) != RE2::NoError) id = -1;
      }
      if (id < 0) {
        always_.push_back(i);
      } else {
        pattern_of_.push_back(i);
      }
    }
    if (pattern_of_.empty()) return;
    std::vector<std::string> atoms;
    filter_.Compile(&atoms);
    if (!build_automaton(atoms)) {
      // Too many distinct bytes for the class table: every pattern may match.
      always_.insert(always_.end(), pattern_of_.begin(), pattern_of_.end());
      std::sort(always_.begin(), always_.end());
      pattern_of_.clear();
      return;
    }
    // What a text holding no atom leaves (the patterns without a required literal): most
    // ordinary values, answered without asking the filter.
    std::vector<int> none;
    filter_.AllPotentials(present_atoms_, &none);
    for (int id : none) without_atoms_.push_back(pattern_of_[static_cast<size_t>(id)]);
  }

  bool filters_something() const { return without_atoms_.size() < pattern_of_.size(); }

  void scan(std::string_view input, std::vector<uint32_t>& may_match) const override {
    may_match.insert(may_match.end(), always_.begin(), always_.end());
    if (pattern_of_.empty()) return;
    thread_local std::vector<int> atoms;
    thread_local std::vector<int> regexps;
    atoms.assign(present_atoms_.begin(), present_atoms_.end());
    uint32_t state = 0;
    for (char c : input) {
      state = next_[state * classes_ + class_of_[static_cast<uint8_t>(c)]];
      for (uint32_t n = state; n != 0; n = out_link_[n]) {
        if (atom_at_[n] >= 0) atoms.push_back(atom_at_[n]);
      }
    }
    if (atoms.size() == present_atoms_.size()) {
      may_match.insert(may_match.end(), without_atoms_.begin(), without_atoms_.end());
      return;
    }
    if (atoms.size() > 1) {
      std::sort(atoms.begin(), atoms.end());
      atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
    }
    filter_.AllPotentials(atoms, &regexps);
    for (int id : regexps) may_match.push_back(pattern_of_[static_cast<size_t>(id)]);
  }

 private:
  // A full transition table over byte classes (the bytes atoms use, after ASCII
  // lower-casing; every other byte is class 0), so a scan is one lookup per byte.
  bool build_automaton(const std::vector<std::string>& atoms) {
    class_of_.fill(0);
    classes_ = 1;
    for (const auto& atom : atoms) {
      for (char c : atom) {
        auto b = static_cast<uint8_t>(c);
        if (class_of_[b] != 0) continue;
        if (classes_ > 255) return false;
        class_of_[b] = static_cast<uint8_t>(classes_++);
      }
    }
    // Upper-case ASCII reads as its lower-case letter.
    for (int b = 'A'; b <= 'Z'; ++b) class_of_[b] = class_of_[lower(static_cast<uint8_t>(b))];
    next_.assign(classes_, 0);
    atom_at_.assign(1, -1);
    for (size_t a = 0; a < atoms.size(); ++a) {
      if (atoms[a].empty()) {
        present_atoms_.push_back(static_cast<int>(a));  // in every text
        continue;
      }
      uint32_t node = 0;
      for (char c : atoms[a]) {
        uint32_t k = class_of_[static_cast<uint8_t>(c)];
        uint32_t& child = next_[node * classes_ + k];
        if (child == 0) {
          child = static_cast<uint32_t>(atom_at_.size());
          atom_at_.push_back(-1);
          next_.resize(next_.size() + classes_, 0);
        }
        node = next_[node * classes_ + k];
      }
      atom_at_[node] = static_cast<int32_t>(a);
    }
    // Breadth first: fail links, then missing transitions borrowed from the fail node.
    size_t nodes = atom_at_.size();
    std::vector<uint32_t> fail(nodes, 0);
    out_link_.assign(nodes, 0);
    std::deque<uint32_t> queue;
    for (uint32_t k = 0; k < classes_; ++k) {
      if (next_[k] != 0) queue.push_back(next_[k]);
    }
    while (!queue.empty()) {
      uint32_t node = queue.front();
      queue.pop_front();
      for (uint32_t k = 0; k < classes_; ++k) {
        uint32_t& child = next_[node * classes_ + k];
        uint32_t via_fail = next_[fail[node] * classes_ + k];
        if (child == 0) {
          child = via_fail;
          continue;
        }
        fail[child] = via_fail;
        out_link_[child] = atom_at_[via_fail] >= 0 ? via_fail : out_link_[via_fail];
        queue.push_back(child);
      }
    }
    return true;
  }

  re2::FilteredRE2 filter_;
  std::vector<uint32_t> pattern_of_;     // FilteredRE2 id -> index in the pattern list
  std::vector<uint32_t> always_;         // patterns the filter does not take
  std::vector<int> present_atoms_;       // empty atoms, found in every text
  std::vector<uint32_t> without_atoms_;  // the answer for a text without any other atom
  std::array<uint8_t, 256> class_of_{};
  uint32_t classes_ = 1;
  std::vector<uint32_t> next_;      // node * classes_ + class -> node
  std::vector<int32_t> atom_at_;    // the atom ending at a node, -1 if none
  std::vector<uint32_t> out_link_;  // the nearest proper suffix node ending an atom, 0: none
};

}  // namespace

std::unique_ptr<RegexPrefilter> build_literal_prefilter(const std::vector<std::string>& patterns) {
  auto prefilter = std::make_unique<LiteralPrefilter>(patterns);
  // A scan that can only answer "every pattern may match" costs and spares nothing.
  if (!prefilter->filters_something()) return nullptr;
  return prefilter;
}

}  // namespace rampart::seclang
