#include "fcgi/http.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "fcgi/router.h"
#include "fcgi/server.h"

namespace sattva::fcgi {
namespace {

TEST(PercentDecodeTest, DecodesValidEscapes) {
  std::string out;
  ASSERT_TRUE(PercentDecode("/a%20b/%D0%BF", false, &out));
  EXPECT_EQ(out, "/a b/\xD0\xBF");
  ASSERT_TRUE(PercentDecode("a+b", true, &out));
  EXPECT_EQ(out, "a b");
  ASSERT_TRUE(PercentDecode("a+b", false, &out));
  EXPECT_EQ(out, "a+b");
}

TEST(PercentDecodeTest, RejectsMalformedEscapes) {
  std::string out = "unchanged";
  EXPECT_FALSE(PercentDecode("%zz", false, &out));
  EXPECT_FALSE(PercentDecode("abc%", false, &out));
  EXPECT_FALSE(PercentDecode("abc%4", false, &out));
  EXPECT_FALSE(PercentDecode("%00", false, &out));
  EXPECT_EQ(out, "unchanged");
}

TEST(ParseQueryTest, SplitsAndDecodes) {
  std::multimap<std::string, std::string> q;
  ASSERT_TRUE(ParseQuery("q=a%26b&page=2&flag&q=x+y", &q));
  EXPECT_EQ(q.count("q"), 2u);
  EXPECT_EQ(q.find("page")->second, "2");
  EXPECT_EQ(q.find("flag")->second, "");
  std::multimap<std::string, std::string> bad;
  EXPECT_FALSE(ParseQuery("q=%G1", &bad));
}

TEST(BuildRequestTest, ParsesParams) {
  std::map<std::string, std::string> p = {{"REQUEST_METHOD", "GET"},
                                          {"REQUEST_URI", "/api/v1/x%2Fy?a=1"},
                                          {"HTTP_X_CSRF_TOKEN", "t"},
                                          {"CONTENT_TYPE", "application/json"},
                                          {"REMOTE_ADDR", "127.0.0.1"}};
  Request r = BuildRequest(p);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/api/v1/x/y");
  EXPECT_EQ(*r.QueryParam("a"), "1");
  EXPECT_EQ(*r.Header("x-csrf-token"), "t");
  EXPECT_EQ(*r.Header("content-type"), "application/json");
  EXPECT_EQ(r.remote_addr, "127.0.0.1");
}

TEST(BuildRequestTest, MalformedEncodingIs400) {
  for (const char* uri : {"/api/v1/%zz", "/api/v1/health?q=%", "/a%00b"}) {
    try {
      BuildRequest({{"REQUEST_METHOD", "GET"}, {"REQUEST_URI", uri}});
      FAIL() << uri << " was accepted";
    } catch (const HttpError& e) {
      EXPECT_EQ(e.status(), 400) << uri;
      EXPECT_EQ(e.code(), "bad_request");
    }
  }
}

TEST(ContentLengthTest, EnforcesLimit) {
  EXPECT_EQ(CheckContentLength({}, 10), 0u);
  EXPECT_EQ(CheckContentLength({{"CONTENT_LENGTH", "10"}}, 10), 10u);
  try {
    CheckContentLength({{"CONTENT_LENGTH", "11"}}, 10);
    FAIL();
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 413);
  }
  try {
    CheckContentLength({{"CONTENT_LENGTH", "99999999999999999999999"}}, 10);
    FAIL();
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 413);
  }
  try {
    CheckContentLength({{"CONTENT_LENGTH", "-1"}}, 10);
    FAIL();
  } catch (const HttpError& e) {
    EXPECT_EQ(e.status(), 400);
  }
}

TEST(ErrorResponseTest, JsonEnvelopeForApi) {
  Response r = ErrorResponse("/api/v1/x", 404, "not_found", "no such <thing>");
  EXPECT_EQ(r.status, 404);
  Json::Value v;
  std::string err;
  ASSERT_TRUE(common::ParseJson(r.body, &v, &err)) << err;
  EXPECT_EQ(v["error"]["code"].asString(), "not_found");
  EXPECT_EQ(v["error"]["message"].asString(), "no such <thing>");
}

TEST(ErrorResponseTest, EscapedHtmlForAdmin) {
  Response r = ErrorResponse("/admin/users", 404, "not_found", "no <script>x</script>");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(r.body.find("<script>"), std::string::npos);
  bool html = false;
  for (auto& h : r.headers) html = html || (h.first == "Content-Type" && h.second.find("text/html") == 0);
  EXPECT_TRUE(html);
}

TEST(HtmlEscapeTest, EscapesAllSpecials) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

}  // namespace
}  // namespace sattva::fcgi
