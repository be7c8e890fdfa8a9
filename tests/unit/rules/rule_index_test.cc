// The rule index must pick exactly the rules a linear scan would find matching, in
// order, whatever the guard kind; and the multi-literal search must find what memmem
// finds.

#include "rules/rule_index.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "rules/literal_search.h"
#include "rules_test_util.h"

namespace rampart::rules {
namespace {

using testing::get;
using testing::ip_set;
using testing::parse_head;

std::vector<uint32_t> found_by_search(const LiteralSearch& s, std::string_view text) {
  std::vector<uint32_t> out;
  s.search(text, [&](uint32_t i) { out.push_back(i); });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

TEST(LiteralSearch, FindsOverlappingAndNestedLiterals) {
  std::vector<std::string> lits = {"he", "she", "his", "hers", ""};
  LiteralSearch s(lits, false);
  EXPECT_EQ(found_by_search(s, "ushers"), (std::vector<uint32_t>{0, 1, 3}));
  EXPECT_EQ(found_by_search(s, "this"), (std::vector<uint32_t>{2}));
  EXPECT_TRUE(found_by_search(s, "nothing here?").size() == 1);  // "he" in "here"
  EXPECT_TRUE(found_by_search(s, "").empty());
}

TEST(LiteralSearch, FoldsAsciiCaseOnlyWhenAsked) {
  std::vector<std::string> lits = {"sqlmap", "Nikto"};
  LiteralSearch exact(lits, false);
  LiteralSearch folded(lits, true);
  EXPECT_TRUE(found_by_search(exact, "SQLMap/1.0").empty());
  EXPECT_EQ(found_by_search(folded, "SQLMap/1.0"), (std::vector<uint32_t>{0}));
  EXPECT_EQ(found_by_search(folded, "a nikto scan"), (std::vector<uint32_t>{1}));
}

TEST(LiteralSearch, AgreesWithMemmemOnRandomInput) {
  std::mt19937 rng(7);
  auto random_string = [&](size_t max_len) {
    std::string s(rng() % (max_len + 1), 'a');
    for (char& c : s) c = "abcAB\x00\xff"[rng() % 7];
    return s;
  };
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> lits;
    for (int i = 0; i < 20; ++i) lits.push_back(random_string(4));
    LiteralSearch s(lits, false);
    for (int probe = 0; probe < 20; ++probe) {
      std::string text = random_string(40);
      std::vector<uint32_t> want;
      for (uint32_t i = 0; i < lits.size(); ++i) {
        if (!lits[i].empty() &&
            memmem(text.data(), text.size(), lits[i].data(), lits[i].size()) != nullptr) {
          want.push_back(i);
        }
      }
      ASSERT_EQ(found_by_search(s, text), want) << "round " << round;
    }
  }
}

// Rules of every guard kind and some without a guard; for many requests, the index's
// candidates that match must be exactly the rules that match when all are evaluated.
TEST(RuleIndex, CandidatesThatMatchAreExactlyTheMatchingRules) {
  IpLists lists{{"bad", ip_set({"203.0.113.0/24", "2001:db8::/48"})}};
  Compiler compiler(CompileOptions{&lists});
  std::vector<std::string> exprs = {
      R"(http.request.uri.path eq "/a")",
      R"(http.request.uri.path in {"/b" "/c"} and http.request.method eq "POST")",
      R"(starts_with(http.request.uri.path, "/adm"))",
      R"(http.request.uri.path wildcard "/WP-*")",
      R"(http.request.uri.path strict wildcard "/Api/*/x")",
      R"(http.user_agent contains "bot")",
      R"(lower(http.user_agent) contains "curl")",
      R"(upper(http.user_agent) contains "WGET")",
      R"(ip.src in $bad)",
      R"(ip.src in {10.0.0.0/8} and http.request.uri.path eq "/a")",
      R"(http.request.uri.path contains "/." or http.host eq "x")",
      R"(not http.request.uri.path eq "/a")",
      R"(len(http.request.uri.path) gt 6)",
      R"(http.request.uri.args["id"] eq "1")",
      R"(http.request.body.size eq 0 and starts_with(http.request.uri.path, "/a"))",
      R"(http.request.uri.query contains "x=1" and http.user_agent contains "bot")",
      R"(http.request.headers["x-api-key"] eq "k1")",
      R"(any(http.request.headers["x-api-key"][*] in {"k2" "k1"}) and ssl)",
      R"(http.request.cookies["session"] eq "s")",
      R"(http.request.headers["x-api-key"] ne "k1")",
  };
  std::vector<std::shared_ptr<const Program>> programs;
  std::vector<const Program*> raw;
  for (const auto& e : exprs) {
    auto r = compiler.compile(e);
    ASSERT_TRUE(r.program) << e << ": " << r.error->message;
    programs.push_back(r.program);
    raw.push_back(r.program.get());
  }
  RuleIndex index(raw);
  EXPECT_GE(index.indexed_count(), 15u);

  const char* paths[] = {"/a",        "/b",      "/c",       "/admin",   "/ad",
                         "/wp-login", "/Wp-x",   "/Api/v/x", "/api/v/x", "/.env",
                         "/x/../y",   "/a?id=1", "/q?x=1",   "/"};
  // Some "agents" carry another header line with them.
  const char* agents[] = {"",
                          "googlebot",
                          "CURL/8",
                          "Wget/1",
                          "mozilla",
                          "bo t",
                          "a\r\nX-Api-Key: k1",
                          "b\r\nCookie: session=s; x=1\r\nX-Api-Key: k2"};
  const char* ips[] = {"203.0.113.9", "2001:db8::1", "10.1.1.1", "192.0.2.1"};
  const char* methods[] = {"GET", "POST"};
  int checked = 0;
  for (const char* path : paths) {
    for (const char* agent : agents) {
      for (const char* addr : ips) {
        for (const char* method : methods) {
          std::string raw_request = get(path, std::string("User-Agent: ") + agent + "\r\n");
          raw_request.replace(0, 3, method);
          const http::RequestHead& head = parse_head(raw_request);
          Request req;
          req.head = &head;
          req.client_ip = testing::ip(addr);
          EvalState linear_state(req, compiler.slots());
          std::vector<uint32_t> want;
          for (uint32_t i = 0; i < raw.size(); ++i) {
            if (matches(*raw[i], linear_state)) want.push_back(i);
          }
          EvalState indexed_state(req, compiler.slots());
          std::vector<uint32_t> candidates;
          index.candidates(indexed_state, candidates);
          ASSERT_TRUE(std::is_sorted(candidates.begin(), candidates.end()));
          std::vector<uint32_t> got;
          for (uint32_t i : candidates) {
            if (matches(*raw[i], indexed_state)) got.push_back(i);
          }
          ASSERT_EQ(got, want) << method << " " << path << " UA=" << agent << " ip=" << addr;
          ++checked;
        }
      }
    }
  }
  EXPECT_EQ(checked, 14 * 8 * 4 * 2);
}

TEST(RuleIndex, RulesWithoutGuardsAreAlwaysCandidates) {
  Compiler compiler(CompileOptions{});
  auto a = compiler.compile(R"(not http.request.uri.path eq "/a")");
  auto b = compiler.compile(R"(http.request.uri.path eq "/b" or ssl)");
  std::vector<const Program*> raw = {a.program.get(), b.program.get()};
  RuleIndex index(raw);
  EXPECT_EQ(index.indexed_count(), 0u);
  const http::RequestHead& head = parse_head(get("/zzz"));
  Request req;
  req.head = &head;
  EvalState state(req, compiler.slots());
  std::vector<uint32_t> out;
  index.candidates(state, out);
  EXPECT_EQ(out, (std::vector<uint32_t>{0, 1}));
}

}  // namespace
}  // namespace rampart::rules
