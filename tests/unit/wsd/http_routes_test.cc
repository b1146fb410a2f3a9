#include "wsd/http_routes.h"

#include <gtest/gtest.h>

#include "common/json.h"
#include "common/metrics.h"

namespace sattva::wsd {
namespace {

class HttpRoutesTest : public ::testing::Test {
 protected:
  HttpRoutesTest() {
    sources_.metrics_text = [] { return std::string("sattva_ws_redis_up 1\n"); };
    sources_.redis_ok = [this](std::string* error) {
      if (!redis_ok_) *error = "redis: cannot connect to 127.0.0.1:6380: Connection refused";
      return redis_ok_;
    };
    sources_.clients = [this] { return clients_; };
  }
  Json::Value Body(const HttpResponse& r) {
    Json::Value v;
    std::string error;
    EXPECT_TRUE(common::ParseJson(r.body, &v, &error)) << error << ": " << r.body;
    return v;
  }

  HttpSources sources_;
  bool redis_ok_ = true;
  size_t clients_ = 3;
};

TEST_F(HttpRoutesTest, Metrics) {
  HttpResponse r = RouteHttp("GET", "/metrics", sources_);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, common::Metrics::kContentType);
  EXPECT_EQ(r.body, "sattva_ws_redis_up 1\n");
}

TEST_F(HttpRoutesTest, HealthOk) {
  HttpResponse r = RouteHttp("GET", "/healthz", sources_);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, kJsonContentType);
  Json::Value v = Body(r);
  EXPECT_EQ(v["status"].asString(), "ok");
  EXPECT_EQ(v["redis"].asString(), "ok");
  EXPECT_EQ(v["clients"].asUInt(), 3u);
}

TEST_F(HttpRoutesTest, HealthWithRedisDown) {
  redis_ok_ = false;
  HttpResponse r = RouteHttp("GET", "/healthz", sources_);
  EXPECT_EQ(r.status, 503);
  Json::Value v = Body(r);
  EXPECT_EQ(v["redis"].asString().rfind("error: ", 0), 0u) << v["redis"].asString();
  EXPECT_NE(v["redis"].asString().find("Connection refused"), std::string::npos);
  EXPECT_EQ(v["clients"].asUInt(), 3u);
}

TEST_F(HttpRoutesTest, EverythingElseIsAJson404) {
  for (const char* path : {"/", "/metrics/", "/healthz/x", "/ws/stats", "/api/v1/streams"}) {
    HttpResponse r = RouteHttp("GET", path, sources_);
    EXPECT_EQ(r.status, 404) << path;
    Json::Value v = Body(r);
    EXPECT_EQ(v["error"]["code"].asString(), "not_found") << path;
    EXPECT_FALSE(v["error"]["message"].asString().empty());
  }
}

TEST_F(HttpRoutesTest, OddPathsStayValidJson) {
  HttpResponse r = RouteHttp("GET", std::string("/\xff\xfe\x01"), sources_);
  EXPECT_EQ(r.status, 404);
  Body(r);
  r = RouteHttp("GET", "/" + std::string(5000, 'a'), sources_);
  EXPECT_LT(r.body.size(), 1000u);
}

TEST_F(HttpRoutesTest, WrongMethodOnAKnownPath) {
  HttpResponse r = RouteHttp("POST", "/metrics", sources_);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Body(r)["error"]["code"].asString(), "method_not_allowed");
  EXPECT_EQ(RouteHttp("HEAD", "/healthz", sources_).status, 200);
}

}  // namespace
}  // namespace sattva::wsd
