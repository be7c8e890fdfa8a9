// Access-log lines: exactly one line of valid JSON per request, every string escaped.

#include "server/access_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

namespace {

using rampart::pipeline::VerdictRecord;
using rampart::server::AccessRecord;
using rampart::server::format_access_line;

// A small strict JSON checker (RFC 8259 grammar, no extensions), enough to tell that a
// line is one well-formed value.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view text) : s_(text) {}
  bool valid() {
    skip_ws();
    if (!value()) return false;
    skip_ws();
    return pos_ == s_.size();
  }

 private:
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  bool eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool value() {
    if (pos_ >= s_.size()) return false;
    switch (s_[pos_]) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }
  bool object() {
    eat('{');
    skip_ws();
    if (eat('}')) return true;
    while (true) {
      skip_ws();
      if (!string()) return false;
      skip_ws();
      if (!eat(':')) return false;
      skip_ws();
      if (!value()) return false;
      skip_ws();
      if (eat('}')) return true;
      if (!eat(',')) return false;
    }
  }
  bool array() {
    eat('[');
    skip_ws();
    if (eat(']')) return true;
    while (true) {
      skip_ws();
      if (!value()) return false;
      skip_ws();
      if (eat(']')) return true;
      if (!eat(',')) return false;
    }
  }
  bool string() {
    if (!eat('"')) return false;
    while (pos_ < s_.size()) {
      unsigned char c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c == '\\') {
        if (pos_ >= s_.size()) return false;
        char e = s_[pos_++];
        if (e == 'u') {
          for (int i = 0; i < 4; ++i) {
            if (pos_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[pos_++]))) {
              return false;
            }
          }
        } else if (std::string_view("\"\\/bfnrt").find(e) == std::string_view::npos) {
          return false;
        }
      }
    }
    return false;
  }
  bool digits() {
    size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return pos_ > start;
  }
  bool number() {
    eat('-');
    if (eat('0')) {
      // no leading zeros
    } else if (!digits()) {
      return false;
    }
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool is_json(std::string_view text) {
  return JsonChecker(text).valid();
}

TEST(JsonChecker, SelfTest) {
  EXPECT_TRUE(is_json("{\"a\":1,\"b\":[true,null,\"x\\n\"],\"c\":{\"d\":-1.5e3}}"));
  EXPECT_FALSE(is_json("{\"a\":1,}"));
  EXPECT_FALSE(is_json("{\"a\":\"x\ny\"}"));
  EXPECT_FALSE(is_json("{\"a\":\"x\\q\"}"));
  EXPECT_FALSE(is_json("{\"a\":01}"));
  EXPECT_FALSE(is_json("{\"a\":1}}"));
  EXPECT_FALSE(is_json("{\"a\":nan}"));
}

AccessRecord sample() {
  AccessRecord r;
  r.request_id = "rid-1";
  r.client_ip = "192.0.2.7";
  r.host = "shop.example";
  r.method = "GET";
  r.path = "/catalog";
  r.status = 200;
  r.bytes_in = 120;
  r.bytes_out = 4096;
  r.upstream = "127.0.0.1:8081";
  r.upstream_ms = 12.5;
  r.total_ms = 13.25;
  r.config_version = "v7";
  r.site = "shop";
  return r;
}

std::string line_for(const AccessRecord& r) {
  std::string out;
  format_access_line(out, r);
  return out;
}

TEST(AccessLog, OneLineOfValidJson) {
  std::string line = line_for(sample());
  ASSERT_TRUE(line.starts_with("{\"time\":\"")) << line;
  ASSERT_TRUE(line.ends_with("}\n")) << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_TRUE(is_json(line)) << line;
}

TEST(AccessLog, FieldsHaveExactValues) {
  std::string line = line_for(sample());
  for (std::string_view expected :
       {"\"request_id\":\"rid-1\",", "\"client_ip\":\"192.0.2.7\",", "\"host\":\"shop.example\",",
        "\"method\":\"GET\",", "\"path\":\"/catalog\",", "\"status\":200,", "\"bytes_in\":120,",
        "\"bytes_out\":4096,", "\"upstream\":\"127.0.0.1:8081\",", "\"upstream_ms\":12.500,",
        "\"total_ms\":13.250,", "\"config_version\":\"v7\",", "\"site\":\"shop\",",
        "\"verdicts\":{}}"}) {
    EXPECT_NE(line.find(expected), std::string::npos) << expected << " in " << line;
  }
  EXPECT_EQ(line.find("\"error\""), std::string::npos) << line;
}

TEST(AccessLog, TimeIsUtcIsoWithMilliseconds) {
  std::string line = line_for(sample());
  // {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ",
  ASSERT_GT(line.size(), 35u);
  std::string_view time = std::string_view(line).substr(9, 24);
  EXPECT_EQ(time.size(), 24u);
  EXPECT_EQ(time[4], '-');
  EXPECT_EQ(time[7], '-');
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time[13], ':');
  EXPECT_EQ(time[16], ':');
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time[23], 'Z');
  EXPECT_EQ(line.substr(33, 2), "\",") << line;
}

TEST(AccessLog, UpstreamMsIsNullWithoutUpstream) {
  AccessRecord r = sample();
  r.upstream = "";
  r.upstream_ms = -1;
  r.status = 301;
  r.error = "redirect";
  std::string line = line_for(r);
  EXPECT_NE(line.find("\"upstream\":\"\",\"upstream_ms\":null,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"status\":301,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"error\":\"redirect\","), std::string::npos) << line;
  EXPECT_TRUE(is_json(line)) << line;

  r.upstream_ms = 0;  // zero is a real measurement, not "none"
  line = line_for(r);
  EXPECT_NE(line.find("\"upstream_ms\":0.000,"), std::string::npos) << line;
}

TEST(AccessLog, EscapesQuotesBackslashesAndControlCharacters) {
  AccessRecord r = sample();
  r.path = "/a\"b\\c";
  r.host = "evil\r\nX: y";
  r.method = std::string_view("G\0T", 3);
  r.request_id = "id\x1b[31m";
  r.error = "bad \"thing\"\t";
  std::string line = line_for(r);
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
  EXPECT_NE(line.find("\"path\":\"/a\\\"b\\\\c\","), std::string::npos) << line;
  EXPECT_NE(line.find("\"host\":\"evil\\r\\nX: y\","), std::string::npos) << line;
  EXPECT_NE(line.find("\"method\":\"G\\u0000T\","), std::string::npos) << line;
  EXPECT_NE(line.find("\"request_id\":\"id\\u001b[31m\","), std::string::npos) << line;
  EXPECT_NE(line.find("\"error\":\"bad \\\"thing\\\"\\t\","), std::string::npos) << line;
  EXPECT_TRUE(is_json(line)) << line;
}

TEST(AccessLog, VerdictsBecomeAnObject) {
  std::array<VerdictRecord, 2> verdicts = {
      {{"transform", "redirect"}, {"we\"ird", "error-skipped"}}};
  AccessRecord r = sample();
  r.verdicts = verdicts;
  std::string line = line_for(r);
  EXPECT_TRUE(line.ends_with(
      "\"verdicts\":{\"transform\":\"redirect\",\"we\\\"ird\":\"error-skipped\"}}\n"))
      << line;
  EXPECT_TRUE(is_json(line)) << line;
}

TEST(AccessLog, AppendsToExistingBuffer) {
  std::string out = "previous\n";
  format_access_line(out, sample());
  EXPECT_TRUE(out.starts_with("previous\n{\"time\":")) << out;
  format_access_line(out, sample());
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 3);
}

TEST(AccessLog, EmptyRecordIsStillValidJson) {
  AccessRecord r;
  std::string line = line_for(r);
  EXPECT_TRUE(is_json(line)) << line;
  EXPECT_NE(line.find("\"status\":0,"), std::string::npos) << line;
  EXPECT_NE(line.find("\"upstream_ms\":null,"), std::string::npos) << line;
}

}  // namespace
