// Every built-in field, read from real parsed requests.

#include "rules/fields.h"

#include <gtest/gtest.h>

#include <ctime>
#include <set>
#include <string>

#include "rules_test_util.h"

namespace rampart::rules {
namespace {

using testing::get;
using testing::Harness;

const char kPost[] =
    "POST /api/v1/Users.JSON?id=42&name=J%C3%B6rg+M&flag&id=43&empty=&%41rg=%2B&&a%3Db=c%26d "
    "HTTP/1.1\r\n"
    "Host: Shop.Example:8443\r\n"
    "User-Agent: Mozilla/5.0 (X11)\r\n"
    "accept: text/html\r\n"
    "ACCEPT: application/json\r\n"
    "Cookie: sid=abc123; theme=\"dark\"; sid=second;flag;  spaced = yes \r\n"
    "Cookie: lang=en\r\n"
    "Referer: https://ref.example/page\r\n"
    "X-Forwarded-For: 198.51.100.7, 10.0.0.1\r\n"
    "Content-Length: 17\r\n"
    "\r\n";

class FieldsTest : public ::testing::Test {
 protected:
  Harness h{kPost};
};

TEST_F(FieldsTest, EveryBuiltinIsDescribed) {
  const FieldRegistry& r = FieldRegistry::global();
  std::set<std::string> names;
  for (size_t i = 0; i < r.size(); ++i) {
    const FieldDef& f = r.get(static_cast<FieldId>(i));
    EXPECT_EQ(f.id, i);
    EXPECT_FALSE(f.description.empty()) << f.name;
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate " << f.name;
    EXPECT_EQ(r.find(f.name), &f);
  }
  EXPECT_EQ(r.find("no.such.field"), nullptr);
  EXPECT_EQ(r.names().size(), r.size());
}

TEST_F(FieldsTest, ClientAddress) {
  EXPECT_EQ(h.value("ip.src"), "192.0.2.1");
  h.request.client_ip = testing::ip("2001:db8::7");
  EXPECT_EQ(h.value("ip.src"), "2001:db8::7");
}

TEST_F(FieldsTest, HostIsLowercaseWithoutPort) {
  EXPECT_EQ(h.value("http.host"), "\"shop.example\"");
  h.set_request(get("/", "", "[2001:DB8::1]:8080"));
  EXPECT_EQ(h.value("http.host"), "\"[2001:db8::1]\"");
  h.set_request(get("/", "", "plain.example"));
  EXPECT_EQ(h.value("http.host"), "\"plain.example\"");
  // The absolute form's authority wins over Host.
  h.set_request("GET http://Other.Example:81/x?y=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
  EXPECT_EQ(h.value("http.host"), "\"other.example\"");
  // HTTP/1.0 without Host: an empty host, not a missing one.
  h.set_request("GET / HTTP/1.0\r\n\r\n");
  EXPECT_EQ(h.value("http.host"), "\"\"");
}

TEST_F(FieldsTest, MethodAndVersion) {
  EXPECT_EQ(h.str("http.request.method"), "POST");
  EXPECT_EQ(h.str("http.request.version"), "HTTP/1.1");
  h.request.protocol = "HTTP/2";
  EXPECT_EQ(h.str("http.request.version"), "HTTP/2");
  h.set_request("DELETE /x HTTP/1.0\r\n\r\n");
  h.request.protocol = {};
  EXPECT_EQ(h.str("http.request.method"), "DELETE");
  EXPECT_EQ(h.str("http.request.version"), "HTTP/1.0");
}

TEST_F(FieldsTest, UriParts) {
  EXPECT_EQ(h.str("http.request.uri"),
            "/api/v1/Users.JSON?id=42&name=J%C3%B6rg+M&flag&id=43&empty=&%41rg=%2B&&a%3Db=c%26d");
  EXPECT_EQ(h.str("http.request.uri.path"), "/api/v1/Users.JSON");
  EXPECT_EQ(h.str("http.request.uri.query"),
            "id=42&name=J%C3%B6rg+M&flag&id=43&empty=&%41rg=%2B&&a%3Db=c%26d");
  EXPECT_EQ(h.str("http.request.full_uri"),
            "http://shop.example/api/v1/Users.JSON?id=42&name=J%C3%B6rg+M&flag&id=43&empty=&%41rg="
            "%2B&&a%3Db=c%26d");
  h.request.tls = true;
  EXPECT_EQ(h.str("substring(http.request.full_uri, 0, 28)"), "https://shop.example/api/v1/");
}

TEST_F(FieldsTest, PathIsNotDecoded) {
  h.set_request(get("/a%2Fb/%2e%2e/c"));
  EXPECT_EQ(h.str("http.request.uri.path"), "/a%2Fb/%2e%2e/c");
  EXPECT_EQ(h.str("url_decode(http.request.uri.path)"), "/a/b/../c");
}

TEST_F(FieldsTest, UriOfAnAbsoluteFormTarget) {
  h.set_request("GET http://other.example/x/y?z=1 HTTP/1.1\r\nHost: other.example\r\n\r\n");
  EXPECT_EQ(h.str("http.request.uri"), "/x/y?z=1");
  EXPECT_EQ(h.str("http.request.uri.path"), "/x/y");
  EXPECT_EQ(h.str("http.request.full_uri"), "http://other.example/x/y?z=1");
  h.set_request("GET http://other.example/x HTTP/1.1\r\nHost: other.example\r\n\r\n");
  EXPECT_EQ(h.str("http.request.uri"), "/x");
}

TEST_F(FieldsTest, PathExtension) {
  EXPECT_EQ(h.str("http.request.uri.path.extension"), "json");  // lowercased
  struct Case {
    const char* target;
    const char* extension;
  };
  for (Case c : {Case{"/a/b.tar.GZ", "gz"}, Case{"/a.d/file", ""}, Case{"/file.", ""},
                 Case{"/", ""}, Case{"/x.php?y=a.b", "php"}, Case{"/.htaccess", "htaccess"}}) {
    h.set_request(get(c.target));
    EXPECT_EQ(h.str("http.request.uri.path.extension"), c.extension) << c.target;
  }
}

TEST_F(FieldsTest, QueryArgumentsAreDecoded) {
  EXPECT_EQ(h.value("http.request.uri.args[\"id\"]"), R"(["42", "43"])");
  EXPECT_EQ(h.value("http.request.uri.args[\"name\"]"), R"(["J\xc3\xb6rg M"])");
  EXPECT_EQ(h.value("http.request.uri.args[\"flag\"]"), R"([""])");
  EXPECT_EQ(h.value("http.request.uri.args[\"empty\"]"), R"([""])");
  EXPECT_EQ(h.value("http.request.uri.args[\"Arg\"]"), R"(["+"])");  // names are decoded too
  EXPECT_EQ(h.value("http.request.uri.args[\"a=b\"]"), R"(["c&d"])");
  EXPECT_EQ(h.value("http.request.uri.args[\"arg\"]"), "[]");  // names are case-sensitive
  EXPECT_EQ(h.value("http.request.uri.args[\"nope\"]"), "[]");
  EXPECT_EQ(h.value("http.request.uri.args.names"),
            R"(["id", "name", "flag", "id", "empty", "Arg", "a=b"])");
  EXPECT_EQ(h.value("http.request.uri.args.values"),
            R"(["42", "J\xc3\xb6rg M", "", "43", "", "+", "c&d"])");
  EXPECT_TRUE(h.match("http.request.uri.args[\"id\"] eq \"43\""));
  h.set_request(get("/"));
  EXPECT_EQ(h.value("http.request.uri.args.names"), "[]");
  h.set_request(get("/?"));
  EXPECT_EQ(h.value("http.request.uri.args.values"), "[]");
  h.set_request(get("/?a=1;b=2"));
  EXPECT_EQ(h.value("http.request.uri.args[\"a\"]"), R"(["1;b=2"])");  // only & separates
}

TEST_F(FieldsTest, HeadersByNameAreCaseInsensitive) {
  for (const char* name : {"accept", "Accept", "ACCEPT", "aCcEpT"}) {
    EXPECT_EQ(h.value(std::string("http.request.headers[\"") + name + "\"]"),
              R"(["text/html", "application/json"])")
        << name;
  }
  EXPECT_EQ(h.value("http.request.headers[\"x-forwarded-for\"][0]"), R"("198.51.100.7, 10.0.0.1")");
  EXPECT_EQ(h.value("http.request.headers[\"cookie\"]"),
            R"(["sid=abc123; theme=\"dark\"; sid=second;flag;  spaced = yes", "lang=en"])");
}

TEST_F(FieldsTest, HeaderNamesAndValues) {
  EXPECT_EQ(h.value("http.request.headers.names"),
            R"(["host", "user-agent", "accept", "accept", "cookie", "cookie", "referer", )"
            R"("x-forwarded-for", "content-length"])");
  EXPECT_EQ(h.value("http.request.headers.values[2]"), R"("text/html")");
  EXPECT_EQ(h.value("len(http.request.headers.values)"), "9");
  EXPECT_EQ(h.value("http.request.headers.values[0]"), R"("Shop.Example:8443")");
}

TEST_F(FieldsTest, CommonHeaders) {
  EXPECT_EQ(h.str("http.user_agent"), "Mozilla/5.0 (X11)");
  EXPECT_EQ(h.str("http.referer"), "https://ref.example/page");
  EXPECT_EQ(h.str("http.x_forwarded_for"), "198.51.100.7, 10.0.0.1");
  h.set_request(get("/", "user-agent: first\r\nUser-Agent: second\r\n"));
  EXPECT_EQ(h.str("http.user_agent"), "first");
  EXPECT_EQ(h.value("http.referer"), "(missing)");
  EXPECT_EQ(h.value("http.x_forwarded_for"), "(missing)");
  h.set_request(get("/", "User-Agent:\r\n"));
  EXPECT_EQ(h.value("http.user_agent"), "\"\"");
}

TEST_F(FieldsTest, CookieHeaderJoinsEveryCookieLine) {
  EXPECT_EQ(h.str("http.cookie"),
            "sid=abc123; theme=\"dark\"; sid=second;flag;  spaced = yes; lang=en");
  h.set_request(get("/"));
  EXPECT_EQ(h.value("http.cookie"), "(missing)");
}

TEST_F(FieldsTest, CookiesByName) {
  EXPECT_EQ(h.value("http.request.cookies[\"sid\"]"), R"(["abc123", "second"])");
  EXPECT_EQ(h.value("http.request.cookies[\"theme\"]"), R"(["dark"])");  // quotes removed
  EXPECT_EQ(h.value("http.request.cookies[\"lang\"]"), R"(["en"])");
  EXPECT_EQ(h.value("http.request.cookies[\"flag\"]"), R"([""])");
  EXPECT_EQ(h.value("http.request.cookies[\"spaced\"]"), R"(["yes"])");
  EXPECT_EQ(h.value("http.request.cookies[\"SID\"]"), "[]");  // case-sensitive
  EXPECT_TRUE(h.match("http.request.cookies[\"sid\"] eq \"second\""));
  // Cookie values are not percent-decoded.
  h.set_request(get("/", "Cookie: a=%41+b\r\n"));
  EXPECT_EQ(h.value("http.request.cookies[\"a\"][0]"), R"("%41+b")");
  h.set_request(get("/"));
  EXPECT_EQ(h.value("http.request.cookies[\"sid\"]"), "[]");
}

TEST_F(FieldsTest, Tls) {
  EXPECT_TRUE(h.match("not ssl"));
  h.request.tls = true;
  EXPECT_TRUE(h.match("ssl"));
  EXPECT_EQ(h.value("ssl"), "true");
}

TEST_F(FieldsTest, BodySize) {
  EXPECT_EQ(h.value("http.request.body.size"), "17");
  h.request.body = "twelve bytes";
  EXPECT_EQ(h.value("http.request.body.size"), "12");  // the body, once read, wins
  h.set_request(get("/"));
  h.request.body.reset();
  EXPECT_EQ(h.value("http.request.body.size"), "0");
  h.set_request("POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n");
  EXPECT_EQ(h.value("http.request.body.size"), "(missing)");  // unknown until read
  EXPECT_FALSE(h.match("http.request.body.size lt 1000"));
}

TEST_F(FieldsTest, BodyRaw) {
  EXPECT_EQ(h.value("http.request.body.raw"), "(missing)");
  h.request.body = std::string_view("{\"a\":\"\\u00e9\"}\0x", 16);
  EXPECT_EQ(h.value("http.request.body.raw"), R"("{\"a\":\"\\u00e9\"}\x00x")");
  EXPECT_TRUE(h.match("http.request.body.raw contains \"\\0x\""));
  h.request.body = "";
  EXPECT_EQ(h.value("http.request.body.raw"), "\"\"");
}

TEST_F(FieldsTest, ResponseCode) {
  EXPECT_EQ(h.value("http.response.code"), "(missing)");
  h.request.response_status = 204;
  EXPECT_EQ(h.value("http.response.code"), "204");
}

TEST_F(FieldsTest, Timestamp) {
  h.request.timestamp = 1700000000;
  EXPECT_EQ(h.value("http.request.timestamp.sec"), "1700000000");
  h.request.timestamp = 0;
  int64_t before = static_cast<int64_t>(std::time(nullptr));
  std::string now = h.value("http.request.timestamp.sec");
  int64_t after = static_cast<int64_t>(std::time(nullptr));
  int64_t read = std::stoll(now);
  EXPECT_GE(read, before);
  EXPECT_LE(read, after);
}

}  // namespace
}  // namespace rampart::rules
