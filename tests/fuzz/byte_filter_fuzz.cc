// libFuzzer target for the byte-class prefilter's pattern analyser: input is a pattern
// and a text separated by the first NUL. Reading any pattern must not crash, and when
// PCRE2 (compiled as @rx compiles it) or RE2 (as @rx runs it) matches the text, every
// set the analyser calls required must hold a byte of the text: the prefilter never
// skips a value that matches.

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "seclang/byte_filter.h"

namespace {

bool pcre2_matches(const std::string& pattern, std::string_view text) {
  int code = 0;
  PCRE2_SIZE offset = 0;
  pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                 PCRE2_DOTALL | PCRE2_MULTILINE, &code, &offset, nullptr);
  if (re == nullptr) return false;
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(re, nullptr);
  pcre2_match_context* mc = pcre2_match_context_create(nullptr);
  pcre2_set_match_limit(mc, 10000);
  static const char kEmpty[] = "";
  int rc = pcre2_match(re, reinterpret_cast<PCRE2_SPTR>(text.empty() ? kEmpty : text.data()),
                       text.size(), 0, 0, md, mc);
  pcre2_match_context_free(mc);
  pcre2_match_data_free(md);
  pcre2_code_free(re);
  return rc >= 0;
}

bool re2_matches(const std::string& pattern, std::string_view text) {
  RE2::Options options;
  options.set_encoding(RE2::Options::EncodingLatin1);
  options.set_dot_nl(true);
  options.set_log_errors(false);
  options.set_max_mem(1 << 20);
  RE2 re("(?m)" + pattern, options);
  if (!re.ok()) return false;
  return RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), re);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::seclang;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  if (nul == std::string_view::npos || nul > 200) return 0;
  // Exact-size heap copies, so ASan sees any read past the end.
  const std::string pattern(input.substr(0, nul));
  const std::string text(input.substr(nul + 1));
  auto sets = required_byte_sets(pattern);
  ByteCondition condition = byte_condition_for(pattern);
  FUZZ_CHECK(condition.size() <= ByteCondition::kMaxSets);
  if (!sets) {
    FUZZ_CHECK(condition.empty());
    return 0;
  }
  if (!pcre2_matches(pattern, text) && !re2_matches(pattern, text)) return 0;
  ByteSet present = bytes_present(text);
  for (const ByteSet& s : *sets) FUZZ_CHECK(s.intersects(present));
  FUZZ_CHECK(condition.passes(present));
  return 0;
}
