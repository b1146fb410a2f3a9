// Dispatch without libfcgi: routing outcomes and how errors become responses.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/json.h"
#include "fcgi/server.h"

namespace sattva::fcgi {
namespace {

class DispatchTest : public ::testing::Test {
 protected:
  DispatchTest()
      : config_(common::Config::FromOverrides({"redis_port=1", "pg_dsn=host=127.0.0.1 port=1"})),
        env_{config_, clock_, metrics_},
        res_(env_) {
    router_.Add("GET", "/api/v1/items/{id}", [](RequestContext& c) {
      Json::Value v;
      v["id"] = c.req.params.at("id");
      return Response::Json(200, v);
    });
    router_.Add("DELETE", "/api/v1/items/{id}", [](RequestContext&) -> Response {
      throw HttpError(409, "conflict", "stale version");
    });
    router_.Add("POST", "/api/v1/boom", [](RequestContext&) -> Response {
      throw std::runtime_error("secret detail");
    });
    router_.Add("POST", "/api/v1/redis", [](RequestContext&) -> Response {
      throw common::RedisError("redis: connection refused");
    });
  }

  Response Run(const std::string& method, const std::string& path) {
    req_ = Request();
    req_.method = method;
    req_.path = path;
    RequestContext ctx{req_, env_, res_};
    return Dispatch(router_, ctx);
  }

  static Json::Value Body(const Response& r) {
    Json::Value v;
    std::string err;
    EXPECT_TRUE(common::ParseJson(r.body, &v, &err)) << err;
    return v;
  }

  common::Config config_;
  common::FakeClock clock_;
  common::Metrics metrics_;
  AppEnv env_;
  ThreadResources res_;
  Router router_;
  Request req_;
};

TEST_F(DispatchTest, FoundPassesParamsAndRecordsRoute) {
  Response r = Run("GET", "/api/v1/items/5");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Body(r)["id"].asString(), "5");
  EXPECT_EQ(req_.route, "/api/v1/items/{id}");
}

TEST_F(DispatchTest, UnknownRouteIs404Envelope) {
  Response r = Run("GET", "/api/v1/nothing");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["error"]["code"].asString(), "not_found");
  EXPECT_EQ(req_.route, "unmatched");
}

TEST_F(DispatchTest, WrongMethodIs405WithAllow) {
  Response r = Run("PUT", "/api/v1/items/5");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Body(r)["error"]["code"].asString(), "method_not_allowed");
  std::string allow;
  for (auto& h : r.headers) {
    if (h.first == "Allow") allow = h.second;
  }
  EXPECT_EQ(allow, "DELETE, GET, HEAD");
}

TEST_F(DispatchTest, OptionsAnswersAllow) {
  Response r = Run("OPTIONS", "/api/v1/items/5");
  EXPECT_EQ(r.status, 204);
}

TEST_F(DispatchTest, HttpErrorKeepsItsStatus) {
  Response r = Run("DELETE", "/api/v1/items/5");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(Body(r)["error"]["message"].asString(), "stale version");
}

TEST_F(DispatchTest, UnexpectedExceptionIs500WithoutDetail) {
  Response r = Run("POST", "/api/v1/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("secret detail"), std::string::npos);
}

TEST_F(DispatchTest, RedisOutageIs503) {
  Response r = Run("POST", "/api/v1/redis");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Body(r)["error"]["code"].asString(), "redis_unavailable");
}

}  // namespace
}  // namespace sattva::fcgi
