// Response phases (3, 4, 5), SecArgumentsLimit over query and body, and the persistent
// collections (initcol / expirevar) kept across transactions.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "seclang/persistent_store.h"
#include "seclang/rule_set.h"
#include "seclang/transaction.h"

namespace rampart::seclang {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<const RuleSet> load(const std::string& text) {
  std::vector<LoadError> errors;
  auto set = RuleSet::load({}, text, LoadOptions{}, errors);
  for (const auto& e : errors) ADD_FAILURE() << describe(e.where) << ": " << e.message;
  return set;
}

// One request through phases 1 and 2 with the views it needs kept alive.
struct Exchange {
  explicit Exchange(const RuleSet& rules, std::string uri = "/", std::string body = {},
                    std::string remote = "192.0.2.1", PersistentStore* store = nullptr)
      : uri_(std::move(uri)), body_(std::move(body)), remote_(std::move(remote)) {
    headers_ = {{"Host", "example.test"}, {"User-Agent", "test/1.0"}};
    if (!body_.empty()) headers_.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    data_.method = body_.empty() ? "GET" : "POST";
    data_.uri = uri_;
    data_.http_version = "1.1";
    data_.headers = headers_;
    data_.remote_addr = remote_;
    tx = std::make_unique<Transaction>(rules, data_);
    tx->use_persistent_store(store);
    tx->process_request_headers();
    tx->process_request_body(body_, false);
  }
  void response(int status, std::vector<HeaderView> headers) {
    response_headers_ = std::move(headers);
    tx->process_response_headers(status, "HTTP/1.1", response_headers_);
  }
  bool has(int64_t id) const {
    return std::any_of(tx->matches().begin(), tx->matches().end(),
                       [&](const MatchRecord& m) { return m.rule_id == id; });
  }

  std::unique_ptr<Transaction> tx;

 private:
  std::string uri_, body_, remote_;
  std::vector<HeaderView> headers_;
  std::vector<HeaderView> response_headers_;
  RequestData data_;
};

const char* kOn = "SecRuleEngine On\nSecRequestBodyAccess On\n";

// A record's variables without the built-in members (KEY, CREATE_TIME, ...).
PersistentStore::Values user_members(const PersistentStore::Values& values) {
  PersistentStore::Values out;
  for (const auto& [name, value] : values) {
    if (!PersistentStore::is_builtin_member(name)) out.emplace(name, value);
  }
  return out;
}

TEST(SeclangResponse, PhaseThreeSeesStatusHeadersAndProtocol) {
  auto rules = load(std::string(kOn) +
                    "SecRule RESPONSE_STATUS \"@streq 500\" \"id:1,phase:3,deny,status:502\"\n"
                    "SecRule RESPONSE_HEADERS:X-Debug \"@rx .\" \"id:2,phase:3,pass,log\"\n"
                    "SecRule RESPONSE_HEADERS_NAMES \"@streq X-Powered-By\" \"id:3,phase:3,pass\"\n"
                    "SecRule RESPONSE_PROTOCOL \"@streq HTTP/1.1\" \"id:4,phase:3,pass\"\n");
  ASSERT_TRUE(rules);
  Exchange ok(*rules);
  ok.response(200, {{"Content-Type", "text/html"}, {"X-Debug", "on"}, {"X-Powered-By", "x"}});
  EXPECT_FALSE(ok.tx->intervention().disruptive);
  EXPECT_TRUE(ok.has(2));
  EXPECT_TRUE(ok.has(3));
  EXPECT_TRUE(ok.has(4));
  Exchange failing(*rules);
  failing.response(500, {{"Content-Type", "text/html"}});
  EXPECT_TRUE(failing.tx->intervention().disruptive);
  EXPECT_EQ(failing.tx->intervention().status, 502);
  EXPECT_FALSE(failing.has(2));
}

TEST(SeclangResponse, BodyOnlyWithAccessOnAndAListedMimeType) {
  auto off =
      load(std::string(kOn) + "SecRule RESPONSE_BODY \"@rx secret\" \"id:1,phase:4,deny\"\n");
  Exchange r(*off);
  r.response(200, {{"Content-Type", "text/html; charset=utf-8"}});
  EXPECT_FALSE(r.tx->wants_response_body());

  auto on = load(std::string(kOn) +
                 "SecResponseBodyAccess On\nSecResponseBodyMimeType text/html application/json\n"
                 "SecResponseBodyLimit 64\n"
                 "SecRule RESPONSE_BODY \"@rx secret\" \"id:1,phase:4,deny\"\n");
  Exchange html(*on);
  html.response(200, {{"Content-Type", "text/html; charset=utf-8"}});
  ASSERT_TRUE(html.tx->wants_response_body());
  EXPECT_EQ(html.tx->response_body_limit(), 64u);
  html.tx->process_response_body("<p>the secret is out</p>");
  EXPECT_TRUE(html.tx->intervention().disruptive);
  EXPECT_EQ(html.tx->intervention().rule_id, 1);

  Exchange image(*on);
  image.response(200, {{"Content-Type", "image/png"}});
  EXPECT_FALSE(image.tx->wants_response_body());

  Exchange clean(*on);
  clean.response(200, {{"Content-Type", "application/json"}});
  ASSERT_TRUE(clean.tx->wants_response_body());
  clean.tx->process_response_body("{\"ok\":true}");
  EXPECT_FALSE(clean.tx->intervention().disruptive);
}

TEST(SeclangResponse, BodyLimitActionProcessPartialOrReject) {
  const std::string rules_text =
      "SecResponseBodyAccess On\nSecResponseBodyLimit 16\n"
      "SecRule RESPONSE_BODY \"@rx secret\" \"id:1,phase:4,deny\"\n"
      "SecRule OUTBOUND_DATA_ERROR \"@eq 1\" \"id:2,phase:4,pass,log\"\n";
  auto partial =
      load(std::string(kOn) + rules_text + "SecResponseBodyLimitAction ProcessPartial\n");
  Exchange p(*partial);
  p.response(200, {{"Content-Type", "text/html"}});
  p.tx->process_response_body("0123456789abcdef", true);  // the first 16 bytes only
  EXPECT_FALSE(p.tx->intervention().disruptive);
  EXPECT_TRUE(p.has(2));
  Exchange p2(*partial);
  p2.response(200, {{"Content-Type", "text/html"}});
  p2.tx->process_response_body("secret 789abcdef", true);
  EXPECT_TRUE(p2.tx->intervention().disruptive);

  auto reject = load(std::string(kOn) + rules_text + "SecResponseBodyLimitAction Reject\n");
  Exchange r(*reject);
  r.response(200, {{"Content-Type", "text/html"}});
  r.tx->process_response_body("0123456789abcdef", true);
  EXPECT_TRUE(r.tx->intervention().disruptive);
  EXPECT_EQ(r.tx->intervention().status, 403);
  Exchange whole(*reject);
  whole.response(200, {{"Content-Type", "text/html"}});
  whole.tx->process_response_body("short", false);
  EXPECT_FALSE(whole.tx->intervention().disruptive);
  EXPECT_FALSE(whole.has(2));

  auto detect =
      load("SecRuleEngine DetectionOnly\n" + rules_text + "SecResponseBodyLimitAction Reject\n");
  Exchange d(*detect);
  d.response(200, {{"Content-Type", "text/html"}});
  d.tx->process_response_body("0123456789abcdef", true);
  EXPECT_FALSE(d.tx->intervention().disruptive);
  EXPECT_TRUE(d.has(2));
}

TEST(SeclangResponse, LoggingPhaseRunsAfterADeny) {
  auto rules = load(std::string(kOn) +
                    "SecRule ARGS \"@rx attack\" \"id:1,phase:2,deny\"\n"
                    "SecAction \"id:2,phase:5,pass,log,setvar:tx.logged=1\"\n");
  Exchange r(*rules, "/?q=attack");
  EXPECT_TRUE(r.tx->intervention().disruptive);
  r.tx->process_logging();
  EXPECT_TRUE(r.has(2));
  EXPECT_EQ(r.tx->tx("logged"), "1");
}

// The server's buffer for the inspected body is gone by the time phase 5 runs (when
// the request ends): phase 5 rules still see the body phase 4 saw.
TEST(SeclangResponse, LoggingPhaseSeesTheResponseBodyAfterItsBufferIsGone) {
  auto rules = load(std::string(kOn) +
                    "SecResponseBodyAccess On\nSecResponseBodyMimeType text/html\n"
                    "SecRule RESPONSE_BODY \"@contains secret\" \"id:3,phase:5,pass,log\"\n");
  Exchange r(*rules);
  r.response(200, {{"Content-Type", "text/html"}});
  ASSERT_TRUE(r.tx->wants_response_body());
  std::string buffer = "<p>the secret is out</p>";
  r.tx->process_response_body(buffer);
  std::fill(buffer.begin(), buffer.end(), 'x');  // the buffer is reused for other bytes
  r.tx->process_logging();
  EXPECT_TRUE(r.has(3));
}

TEST(SeclangArgumentsLimit, CountsQueryAndBodyTogether) {
  auto rules = load(std::string(kOn) +
                    "SecArgumentsLimit 3\n"
                    "SecRule &ARGS \"@eq 3\" \"id:1,phase:2,pass,log\"\n"
                    "SecRule &ARGS_POST \"@eq 1\" \"id:2,phase:2,pass,log\"\n"
                    "SecRule ARGS_POST:d \"@rx .\" \"id:3,phase:2,pass,log\"\n");
  ASSERT_TRUE(rules);
  Exchange r(*rules, "/?a=1&b=2", "c=3&d=4&e=5");
  EXPECT_TRUE(r.has(1));
  EXPECT_TRUE(r.has(2));
  EXPECT_FALSE(r.has(3));  // past the limit: not an argument
}

TEST(SeclangPersistent, IpCollectionLivesAcrossTransactions) {
  auto rules = load(std::string(kOn) +
                    "SecAction \"id:3,phase:1,pass,nolog,initcol:global=global,"
                    "setvar:global.total=+1\"\n"
                    "SecAction \"id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},"
                    "setvar:ip.hits=+1\"\n"
                    "SecRule IP:hits \"@gt 2\" \"id:2,phase:1,deny,status:429\"\n");
  ASSERT_TRUE(rules);
  PersistentStore store;
  for (int i = 1; i <= 2; ++i) {
    Exchange r(*rules, "/", {}, "192.0.2.1", &store);
    EXPECT_FALSE(r.tx->intervention().disruptive) << i;
    r.tx->process_logging();
  }
  Exchange third(*rules, "/", {}, "192.0.2.1", &store);
  EXPECT_TRUE(third.tx->intervention().disruptive);
  EXPECT_EQ(third.tx->intervention().status, 429);
  third.tx->process_logging();
  Exchange other(*rules, "/", {}, "198.51.100.7", &store);
  EXPECT_FALSE(other.tx->intervention().disruptive);
  other.tx->process_logging();
  PersistentStore::Values global;
  store.load("global", "global", Clock::now(), global);
  EXPECT_EQ(global["total"], "4");

  // Without a store (or before phase 5 saved it) nothing is shared.
  Exchange alone(*rules, "/", {}, "192.0.2.1");
  EXPECT_FALSE(alone.tx->intervention().disruptive);
}

TEST(SeclangPersistent, ExpirevarDropsTheVariableAfterItsTime) {
  auto rules = load(std::string(kOn) +
                    "SecAction \"id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},"
                    "setvar:ip.block=1,expirevar:ip.block=60,setvar:ip.keep=1\"\n");
  ASSERT_TRUE(rules);
  PersistentStore store;
  Exchange r(*rules, "/", {}, "192.0.2.9", &store);
  r.tx->process_logging();
  PersistentStore::Values now;
  store.load("ip", "192.0.2.9", Clock::now(), now);
  EXPECT_EQ(now["block"], "1");
  PersistentStore::Values later;
  store.load("ip", "192.0.2.9", Clock::now() + std::chrono::seconds(61), later);
  EXPECT_FALSE(later.contains("block"));
  EXPECT_EQ(later["keep"], "1");
  PersistentStore::Values idle;  // the whole record times out when unused
  store.load("ip", "192.0.2.9", Clock::now() + std::chrono::hours(2), idle);
  EXPECT_TRUE(user_members(idle).empty());
  EXPECT_EQ(idle["is_new"], "1");  // a timed-out record starts again
}

// expirevar's seconds may come from the request: a huge count is a long life, not a
// clock overflow that would expire the variable at once.
TEST(SeclangPersistent, HugeExpirevarKeepsTheVariable) {
  auto rules = load(std::string(kOn) +
                    "SecAction \"id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},"
                    "setvar:ip.block=1,expirevar:ip.block=%{ARGS.t}\"\n");
  ASSERT_TRUE(rules);
  PersistentStore store;
  Exchange r(*rules, "/?t=99999999999999999999", {}, "192.0.2.10", &store);
  r.tx->process_logging();
  PersistentStore::Values later;
  store.load("ip", "192.0.2.10", Clock::now() + std::chrono::seconds(61), later);
  EXPECT_EQ(later["block"], "1");
}

TEST(SeclangPersistent, StoreIsBounded) {
  PersistentStore::Options options;
  options.max_records = 64;
  options.max_variables = 2;
  PersistentStore store(options);
  auto now = Clock::now();
  for (int i = 0; i < 1000; ++i) {
    store.save("ip", std::to_string(i), {}, {{"a", "1"}, {"b", "2"}, {"c", "3"}}, {}, now);
  }
  EXPECT_LE(store.size(), 64u + 16u);
  PersistentStore::Values last;
  store.load("ip", "999", now, last);
  EXPECT_EQ(user_members(last).size(), 2u);  // the third variable did not fit
}

// Keys and names come from the request (a cookie, an argument): oversized ones are not
// stored, so a client cannot make each of the store's records hold megabytes.
TEST(SeclangPersistent, OversizedKeysAndNamesAreNotKept) {
  PersistentStore store;
  auto now = Clock::now();
  const std::string huge(64 * 1024, 'k');
  store.save("session", huge, {}, {{"a", "1"}}, {}, now);
  EXPECT_EQ(store.size(), 0u);
  store.save("session", "short", {}, {{huge, "1"}, {"b", "2"}}, {}, now);
  PersistentStore::Values kept;
  store.load("session", "short", now, kept);
  EXPECT_EQ(user_members(kept).size(), 1u);
  EXPECT_EQ(kept["b"], "2");
}

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The built-in members ModSecurity gives a persistent collection: a new record says so
// and counts no update; each request that changes it counts one and moves its time.
TEST(SeclangPersistent, BuiltInMembersDescribeTheRecord) {
  auto rules = load(std::string(kOn) +
                    "SecAction \"id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},"
                    "setvar:ip.hits=+1\"\n"
                    "SecRule IP:IS_NEW \"@eq 1\" \"id:2,phase:1,pass,log\"\n"
                    "SecRule IP:UPDATE_COUNTER \"@ge 2\" \"id:3,phase:1,pass,log\"\n"
                    "SecRule IP:TIMEOUT \"@eq 3600\" \"id:4,phase:1,pass,log\"\n"
                    "SecRule IP:KEY \"@streq 192.0.2.20\" \"id:5,phase:1,pass,log\"\n"
                    "SecRule IP:CREATE_TIME \"@gt 1600000000\" \"id:6,phase:1,pass,log\"\n"
                    "SecRule IP:LAST_UPDATE_TIME \"@lt %{IP.CREATE_TIME}\" "
                    "\"id:7,phase:1,pass,log\"\n");
  ASSERT_TRUE(rules);
  PersistentStore store;
  int64_t before = unix_seconds();
  Exchange first(*rules, "/", {}, "192.0.2.20", &store);
  EXPECT_TRUE(first.has(2));
  EXPECT_FALSE(first.has(3));
  EXPECT_TRUE(first.has(4));
  EXPECT_TRUE(first.has(5));
  EXPECT_TRUE(first.has(6));
  EXPECT_FALSE(first.has(7));
  first.tx->process_logging();
  for (int i = 0; i < 2; ++i) {
    Exchange again(*rules, "/", {}, "192.0.2.20", &store);
    EXPECT_FALSE(again.has(2));
    EXPECT_EQ(again.has(3), i == 1) << i;  // two saves before the third request
    again.tx->process_logging();
  }
  int64_t after = unix_seconds();
  PersistentStore::Values record;
  store.load("ip", "192.0.2.20", Clock::now(), record);
  EXPECT_EQ(record["hits"], "3");
  EXPECT_EQ(record["update_counter"], "3");
  EXPECT_EQ(record["is_new"], "0");
  int64_t created = std::stoll(record["create_time"]);
  int64_t updated = std::stoll(record["last_update_time"]);
  EXPECT_GE(created, before);
  EXPECT_LE(created, updated);
  EXPECT_LE(updated, after);
}

// Built-in members are computed: a rule that writes one does not store it, and a request
// that only reads a record does not count as an update.
TEST(SeclangPersistent, BuiltInMembersAreNotStored) {
  auto rules = load(std::string(kOn) +
                    "SecAction \"id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR},"
                    "setvar:ip.update_counter=99\"\n");
  ASSERT_TRUE(rules);
  PersistentStore store;
  Exchange r(*rules, "/", {}, "192.0.2.21", &store);
  r.tx->process_logging();
  EXPECT_EQ(store.size(), 0u);
  store.save("ip", "192.0.2.21", {}, {{"seen", "1"}}, {}, Clock::now());
  auto reader =
      load(std::string(kOn) + "SecAction \"id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR}\"\n");
  Exchange read(*reader, "/", {}, "192.0.2.21", &store);
  read.tx->process_logging();
  PersistentStore::Values record;
  store.load("ip", "192.0.2.21", Clock::now(), record);
  EXPECT_EQ(record["update_counter"], "1");
}

// The real CRS at PL1 with response body access: data leakage rules block SQL errors.
TEST(SeclangResponse, CrsBlocksSqlErrorMessagesInTheResponseBody) {
  const std::string setup = "/etc/modsecurity/crs/crs-setup.conf";
  const std::string dir = "/usr/share/modsecurity-crs/rules";
  if (!std::filesystem::exists(setup) || !std::filesystem::exists(dir)) {
    GTEST_SKIP() << "the CRS is not installed";
  }
  std::vector<std::string> files{setup};
  std::vector<std::string> conf;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".conf") conf.push_back(entry.path().string());
  }
  std::sort(conf.begin(), conf.end());
  files.insert(files.end(), conf.begin(), conf.end());
  LoadOptions options;
  options.adjust_settings = [](EngineSettings& s) {
    s.mode = EngineMode::kOn;
    s.request_body_access = true;
    s.response_body_access = true;
  };
  std::vector<LoadError> errors;
  auto crs = RuleSet::load(files, "", options, errors);
  for (const auto& e : errors) ADD_FAILURE() << describe(e.where) << ": " << e.message;
  ASSERT_TRUE(crs);
  auto respond = [&](std::string_view body) {
    Exchange r(*crs, "/products?id=7");
    r.response(200, {{"Content-Type", "text/html; charset=utf-8"}});
    EXPECT_FALSE(r.tx->intervention().disruptive);
    EXPECT_TRUE(r.tx->wants_response_body());
    r.tx->process_response_body(body);
    Intervention verdict = r.tx->intervention();
    bool leak = r.has(951220);
    return std::make_pair(verdict, leak);
  };
  auto [blocked, leak] = respond(
      "<html><body>Microsoft OLE DB Provider for SQL Server error '80040e14' Unclosed "
      "quotation mark after the character string ''.</body></html>");
  EXPECT_TRUE(blocked.disruptive);
  EXPECT_EQ(blocked.rule_id, 959100);
  EXPECT_TRUE(leak);
  auto [passed, none] = respond("<html><body><h1>Blue suede shoes</h1></body></html>");
  EXPECT_FALSE(passed.disruptive);
  EXPECT_FALSE(none);
}

}  // namespace
}  // namespace rampart::seclang
