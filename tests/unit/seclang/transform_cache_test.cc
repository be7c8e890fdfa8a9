// The transaction's cache of transformed values: one entry per (value, length, chain),
// entries that stay put while the cache grows, and a JSON body with hundreds of leaves
// (thousands of entries) still reaching the verdicts of its rules.
#include "seclang/transform_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "seclang/rule_set.h"
#include "seclang/transaction.h"

namespace rampart::seclang {
namespace {

TEST(TransformCache, OneEntryPerValueLengthAndChain) {
  TransformCache cache;
  const char text[] = "abcdef";
  auto [a, made_a] = cache.find_or_add(text, 6, 1);
  EXPECT_TRUE(made_a);
  a->text = "first";
  auto [again, made_again] = cache.find_or_add(text, 6, 1);
  EXPECT_FALSE(made_again);
  EXPECT_EQ(again, a);
  EXPECT_EQ(again->text, "first");
  // The same bytes through another chain, or a shorter value at the same address, are
  // other values.
  auto [other_chain, made_chain] = cache.find_or_add(text, 6, 2);
  auto [shorter, made_shorter] = cache.find_or_add(text, 3, 1);
  EXPECT_TRUE(made_chain);
  EXPECT_TRUE(made_shorter);
  EXPECT_NE(other_chain, a);
  EXPECT_NE(shorter, a);
  EXPECT_NE(shorter, other_chain);
}

TEST(TransformCache, EntriesStayPutWhileItGrows) {
  TransformCache cache;
  std::vector<std::string> values(5000);
  std::vector<TransformCacheEntry*> entries;
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = "value " + std::to_string(i);
    auto [entry, made] = cache.find_or_add(values[i].data(), values[i].size(), i % 7);
    ASSERT_TRUE(made) << i;
    entry->text = values[i];
    entry->view = entry->text;
    entries.push_back(entry);
  }
  for (size_t i = 0; i < values.size(); ++i) {
    auto [entry, made] = cache.find_or_add(values[i].data(), values[i].size(), i % 7);
    ASSERT_FALSE(made) << i;
    ASSERT_EQ(entry, entries[i]) << i;
    ASSERT_EQ(entry->view, values[i]) << i;
  }
}

// A JSON body of 600 leaves, each read through two chains by several rules: the attack in
// the last leaf is found (by the rule whose chain decodes it) and the benign twin passes.
TEST(TransformCache, JsonBodyWithManyLeavesKeepsItsVerdicts) {
  std::vector<LoadError> errors;
  auto rules = RuleSet::load(
      {},
      "SecRuleEngine On\nSecRequestBodyAccess On\n"
      "SecRule REQUEST_HEADERS:Content-Type \"@rx ^application/json\" "
      "\"id:1,phase:1,pass,nolog,ctl:requestBodyProcessor=JSON\"\n"
      "SecRule ARGS \"@rx <script\" \"id:2,phase:2,pass,t:none,t:urlDecodeUni,t:lowercase,"
      "msg:'plain %{MATCHED_VAR_NAME}'\"\n"
      "SecRule ARGS \"@rx onerror=\" \"id:3,phase:2,pass,t:none,t:urlDecodeUni,t:lowercase,"
      "msg:'plain %{MATCHED_VAR_NAME}'\"\n"
      "SecRule ARGS|ARGS_NAMES \"@rx union\\s+select\" \"id:4,phase:2,deny,status:403,"
      "t:none,t:urlDecodeUni,t:htmlEntityDecode,t:lowercase,msg:'sqli %{MATCHED_VAR_NAME}'\"\n",
      LoadOptions{}, errors);
  ASSERT_TRUE(rules);
  ASSERT_TRUE(errors.empty());
  rules->build_prefilters();
  auto body = [](std::string_view last) {
    std::string json = "[";
    for (int i = 0; i < 599; ++i) json += "{\"v\":\"item " + std::to_string(i) + "\"},";
    json += "{\"v\":\"" + std::string(last) + "\"}]";
    return json;
  };
  auto run = [&](const std::string& json) {
    std::vector<HeaderView> headers = {{"Host", "example.test"},
                                       {"Content-Type", "application/json"}};
    RequestData data;
    data.method = "POST";
    data.uri = "/api";
    data.http_version = "1.1";
    data.headers = headers;
    data.remote_addr = "127.0.0.1";
    Transaction tx(*rules, data);
    tx.process_request_headers();
    tx.process_request_body(json, false);
    std::vector<std::string> messages;
    for (const auto& m : tx.matches()) messages.push_back(m.message);
    return std::make_pair(tx.intervention(), messages);
  };
  auto [blocked, hits] = run(body("1 UNION%20 SELECT &#112;assword"));
  EXPECT_TRUE(blocked.disruptive);
  EXPECT_EQ(blocked.rule_id, 4);
  EXPECT_EQ(hits, std::vector<std::string>{"sqli ARGS:json.array_599.v"});
  auto [passed, none] = run(body("1 union of selected items"));
  EXPECT_FALSE(passed.disruptive);
  EXPECT_TRUE(none.empty());
}

// Values repeated in a request: a non-match is remembered per text, but every value that
// matches (or, negated, does not) still counts on its own; and a worker's transactions,
// which share reused buffers, each see only their own request, also after a huge one.
TEST(TransformCache, RepeatedValuesAndReusedBuffersKeepPerValueResults) {
  std::vector<LoadError> errors;
  auto rules = RuleSet::load(
      {},
      "SecRuleEngine On\n"
      "SecRule ARGS \"@rx attack\" \"id:10,phase:1,pass,nolog,t:lowercase,setvar:tx.hits=+1\"\n"
      "SecRule ARGS \"!@rx attack\" \"id:11,phase:1,pass,nolog,t:lowercase,"
      "setvar:tx.misses=+1\"\n"
      "SecRule ARGS \"@streq calm\" \"id:12,phase:1,pass,nolog,setvar:tx.calm=+1\"\n",
      LoadOptions{}, errors);
  ASSERT_TRUE(rules);
  ASSERT_TRUE(errors.empty());
  rules->build_prefilters();
  auto run = [&](const std::string& uri) {
    std::vector<HeaderView> headers = {{"Host", "example.test"}};
    RequestData data;
    data.method = "GET";
    data.uri = uri;
    data.http_version = "1.1";
    data.headers = headers;
    data.remote_addr = "127.0.0.1";
    Transaction tx(*rules, data);
    tx.process_request_headers();
    return std::string(tx.tx("hits")) + "/" + std::string(tx.tx("misses")) + "/" +
           std::string(tx.tx("calm"));
  };
  const std::string small = "/?a=calm&b=calm&c=ATTACK&d=attack&e=calm&f=Attack";
  EXPECT_EQ(run(small), "3/3/3");
  std::string huge = "/?";
  for (int i = 0; i < 900; ++i) huge += "k" + std::to_string(i) + "=calm&";
  huge += "z=" + std::string(100000, 'x');
  EXPECT_EQ(run(huge), "/901/900");
  EXPECT_EQ(run(small), "3/3/3");
  EXPECT_EQ(run("/?q=nothing"), "/1/");
}

}  // namespace
}  // namespace rampart::seclang
