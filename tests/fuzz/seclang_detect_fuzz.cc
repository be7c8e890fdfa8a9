// libFuzzer target for the managed WAF's detectors (@detectSQLi, @detectXSS): any bytes
// must give a verdict without a crash, a hang or an out-of-bounds read, the same
// verdict every time, and (for SQLi) a well-formed fingerprint: one to five token
// types, present exactly when the input is flagged.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "seclang/detect_sqli.h"
#include "seclang/detect_sqli_internal.h"
#include "seclang/detect_xss.h"

namespace {

constexpr std::string_view kTokenTypes = "s1nvkUEBTfo&cX?(),;.:{}";

bool well_formed(const std::string& fp) {
  if (fp.empty() || fp.size() > 5) return false;
  for (char c : fp) {
    if (kTokenTypes.find(c) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rampart::seclang;
  // An exact-size heap copy, so ASan sees any read past the end.
  std::string copy(reinterpret_cast<const char*>(data), size);
  const std::string_view input(copy);

  std::string fp1;
  std::string fp2;
  const bool sqli = detect_sqli(input, &fp1);
  FUZZ_CHECK(sqli == detect_sqli(input, &fp2));
  FUZZ_CHECK(fp1 == fp2);
  FUZZ_CHECK(sqli == detect_sqli(input));
  FUZZ_CHECK(sqli ? well_formed(fp1) : fp1.empty());
  for (char quote : {'\0', '\'', '"'}) {
    const std::string fp = sqli::fingerprint(input, quote);
    FUZZ_CHECK(fp.size() <= 5);
    FUZZ_CHECK(fp.empty() || well_formed(fp));
  }

  const bool xss = detect_xss(input);
  FUZZ_CHECK(xss == detect_xss(input));
  return 0;
}
