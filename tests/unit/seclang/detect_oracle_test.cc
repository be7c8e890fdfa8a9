// @detectSQLi / @detectXSS against libinjection (the detector ModSecurity runs the CRS
// with), on the values the CRS inspects in the managed WAF's differential corpus and on
// the detector corpora. Every disagreement is printed; the corpus values must agree at
// least 99.5% of the time, since each disagreement is a request the two WAFs treat
// differently.

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "detect_corpus.h"
#include "libinjection_oracle.h"
#include "seclang/body.h"
#include "seclang/detect_sqli.h"
#include "seclang/detect_xss.h"
#include "seclang/transform.h"

namespace rampart::seclang {
namespace {

using testing::LibinjectionOracle;

std::filesystem::path waf_corpus_path() {
  // tests/unit/seclang/data → tests/waf/corpus/corpus.jsonl
  return testing::corpus_dir().parent_path().parent_path().parent_path() / "waf" / "corpus" /
         "corpus.jsonl";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Arguments as the CRS sees them: ARGS, ARGS_NAMES, REQUEST_COOKIES(_NAMES) and
// REQUEST_HEADERS, each after t:urlDecodeUni (on top of the %-decoding of arguments).
class Inputs {
 public:
  void add(std::string_view v) {
    if (v.empty()) return;
    std::string decoded;
    if (!apply_transform(Transform::kUrlDecodeUni, v, decoded)) decoded.assign(v);
    set_.insert(std::move(decoded));
  }
  void add_args(const ParsedBody& body) {
    for (const auto& a : body.args) {
      add(a.name);
      add(a.value);
    }
  }
  void add_request(std::string_view line) {
    const ParsedBody fields = parse_json(line, BodyLimits{.max_args = 100000});
    std::string path, body, content_type, last_header;
    for (const auto& f : fields.args) {
      const std::string_view name = f.name;
      if (name.ends_with(".path")) {
        path = f.value;
      } else if (name.ends_with(".body")) {
        body = f.value;
      } else if (name.ends_with(".body_b64")) {
        apply_transform(Transform::kBase64Decode, f.value, body);
      } else if (name.starts_with("json.headers.") && name.ends_with(".array_0")) {
        last_header = lower(f.value);
      } else if (name.starts_with("json.headers.") && name.ends_with(".array_1")) {
        add(f.value);
        if (last_header == "content-type") content_type = lower(f.value);
        if (last_header == "cookie") add_args(parse_urlencoded(f.value, kLimits, ';'));
      }
    }
    if (const size_t q = path.find('?'); q != std::string::npos) {
      add_args(parse_urlencoded(std::string_view(path).substr(q + 1), kLimits));
    }
    if (content_type.starts_with("application/x-www-form-urlencoded")) {
      add_args(parse_urlencoded(body, kLimits));
    } else if (content_type.starts_with("application/json")) {
      add_args(parse_json(body, kLimits));
    }
  }
  const std::set<std::string>& values() const { return set_; }

 private:
  static constexpr BodyLimits kLimits{.max_args = 100000};
  std::set<std::string> set_;
};

struct Agreement {
  size_t inputs = 0;
  size_t sqli_disagree = 0;
  size_t xss_disagree = 0;
  double percent(size_t disagree) const {
    return inputs == 0 ? 100.0 : 100.0 * static_cast<double>(inputs - disagree) / inputs;
  }
};

// Cookie names and values come out of parse_urlencoded with the leading space of
// "; name" kept, which ModSecurity trims; it makes no difference to either detector.
Agreement compare(const std::set<std::string>& inputs, const char* what) {
  const auto& li = LibinjectionOracle::get();
  Agreement a;
  for (const auto& in : inputs) {
    ++a.inputs;
    std::string ours_fp, li_fp;
    const bool ours_sqli = detect_sqli(in, &ours_fp);
    const bool li_sqli = li.sqli(in, &li_fp);
    if (ours_sqli != li_sqli) {
      ++a.sqli_disagree;
      std::printf("[%s] sqli ours=%d(%s) libinjection=%d(%s): %s\n", what, ours_sqli,
                  ours_fp.c_str(), li_sqli, li_fp.c_str(), in.c_str());
    }
    const bool ours_xss = detect_xss(in);
    const bool li_xss = li.xss(in);
    if (ours_xss != li_xss) {
      ++a.xss_disagree;
      std::printf("[%s] xss ours=%d libinjection=%d: %s\n", what, ours_xss, li_xss, in.c_str());
    }
  }
  std::printf(
      "[%s] %zu inputs: sqli agreement %.2f%% (%zu differ), xss agreement %.2f%% (%zu differ)\n",
      what, a.inputs, a.percent(a.sqli_disagree), a.sqli_disagree, a.percent(a.xss_disagree),
      a.xss_disagree);
  return a;
}

TEST(DetectOracle, AgreesWithLibinjectionOnTheWafCorpus) {
  if (!LibinjectionOracle::get().available()) GTEST_SKIP() << "libmodsecurity.so.3 not installed";
  std::ifstream file(waf_corpus_path());
  ASSERT_TRUE(file) << waf_corpus_path();
  Inputs inputs;
  std::string line;
  size_t requests = 0;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    inputs.add_request(line);
    ++requests;
  }
  ASSERT_GE(requests, 1000u);
  ASSERT_GE(inputs.values().size(), 1000u);
  const Agreement a = compare(inputs.values(), "waf corpus");
  EXPECT_GE(a.percent(a.sqli_disagree), 99.5);
  EXPECT_GE(a.percent(a.xss_disagree), 99.5);
}

TEST(DetectOracle, ReportsAgreementOnTheDetectorCorpora) {
  if (!LibinjectionOracle::get().available()) GTEST_SKIP() << "libmodsecurity.so.3 not installed";
  for (const char* name :
       {"sqli_attacks.txt", "sqli_benign.txt", "xss_attacks.txt", "xss_benign.txt"}) {
    const auto lines = testing::load_corpus(name);
    ASSERT_FALSE(lines.empty()) << name;
    compare(std::set<std::string>(lines.begin(), lines.end()), name);
  }
}

TEST(DetectOracle, AgreesOnKnownShapes) {
  if (!LibinjectionOracle::get().available()) GTEST_SKIP() << "libmodsecurity.so.3 not installed";
  const auto& li = LibinjectionOracle::get();
  // Disagreements the differential WAF test once showed, in both directions.
  for (std::string_view in : {
           "Call me (555) 123-4567",
           "<iframe srcdoc=\"<script>alert(1)</script>\">",
           "setTimeout('while(1){}',0)",
           "new Function('return process')()",
           "<img src=\"jav&#x09;ascript:alert(1)\">",
           "sid=a7094548b8e3621baafb37173a8335f8; theme=1/**/UNION/**/SELECT/**/1,2,3",
       }) {
    EXPECT_EQ(detect_sqli(in), li.sqli(in)) << in;
    EXPECT_EQ(detect_xss(in), li.xss(in)) << in;
  }
}

}  // namespace
}  // namespace rampart::seclang
