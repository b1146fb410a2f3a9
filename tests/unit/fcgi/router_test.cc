#include "fcgi/router.h"

#include <gtest/gtest.h>

namespace sattva::fcgi {
namespace {

Handler Named(const std::string& name) {
  return [name](RequestContext&) {
    Response r;
    r.body = name;
    return r;
  };
}

TEST(RouterTest, MatchesLiteralAndParams) {
  Router r;
  r.Add("GET", "/api/v1/streams", Named("list"));
  r.Add("GET", "/api/v1/streams/{id}", Named("get"));
  r.Add("POST", "/api/v1/streams/{id}/queue/{item_id}/move", Named("move"));

  auto m = r.Find("GET", "/api/v1/streams/42");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route, "/api/v1/streams/{id}");
  EXPECT_EQ(m.params.at("id"), "42");

  m = r.Find("POST", "/api/v1/streams/7/queue/abc/move");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.params.at("id"), "7");
  EXPECT_EQ(m.params.at("item_id"), "abc");
}

TEST(RouterTest, UnknownPathIsNotFound) {
  Router r;
  r.Add("GET", "/api/v1/health", Named("h"));
  EXPECT_EQ(r.Find("GET", "/api/v1/nope").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(r.Find("GET", "/api/v1/health/extra").outcome, Router::Outcome::kNotFound);
  EXPECT_EQ(r.Find("GET", "/").outcome, Router::Outcome::kNotFound);
}

TEST(RouterTest, TrailingSlashIsTolerated) {
  Router r;
  r.Add("GET", "/api/v1/health", Named("h"));
  EXPECT_EQ(r.Find("GET", "/api/v1/health/").outcome, Router::Outcome::kFound);
}

TEST(RouterTest, WrongMethodListsAllowedMethods) {
  Router r;
  r.Add("GET", "/api/v1/streams/{id}", Named("get"));
  r.Add("DELETE", "/api/v1/streams/{id}", Named("del"));
  auto m = r.Find("POST", "/api/v1/streams/1");
  ASSERT_EQ(m.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"DELETE", "GET", "HEAD"}));
}

TEST(RouterTest, HeadUsesGetHandler) {
  Router r;
  r.Add("GET", "/x", Named("x"));
  auto m = r.Find("HEAD", "/x");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route, "/x");
}

TEST(RouterTest, LiteralSegmentBeatsParameter) {
  Router r;
  r.Add("POST", "/api/v1/streams/{id}/queue/{item_id}", Named("item"));
  r.Add("POST", "/api/v1/streams/{id}/queue/shuffle", Named("shuffle"));
  auto m = r.Find("POST", "/api/v1/streams/3/queue/shuffle");
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route, "/api/v1/streams/{id}/queue/shuffle");
}

TEST(RouterTest, RejectsBadAndDuplicateRoutes) {
  Router r;
  EXPECT_THROW(r.Add("GET", "no-slash", Named("x")), std::invalid_argument);
  EXPECT_THROW(r.Add("GET", "/a//b", Named("x")), std::invalid_argument);
  r.Add("GET", "/a", Named("x"));
  EXPECT_THROW(r.Add("GET", "/a", Named("y")), std::invalid_argument);
}

TEST(RouterTest, ParameterNeverMatchesEmptySegment) {
  Router r;
  r.Add("GET", "/s/{id}/q", Named("x"));
  EXPECT_EQ(r.Find("GET", "/s//q").outcome, Router::Outcome::kNotFound);
}

}  // namespace
}  // namespace sattva::fcgi
